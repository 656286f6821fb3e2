namespace SshHsmCa.Policy;

/// <summary>The JSON names of <see cref="OperatorRight"/> values.</summary>
public static class OperatorRights
{
    /// <summary>Every permission by its policy name, in declaration order.</summary>
    public static IReadOnlyList<(string Name, OperatorRight Permission)> Names { get; } =
    [
        ("tokens", OperatorRight.Tokens),
        ("audit", OperatorRight.Audit),
        ("batch", OperatorRight.Batch),
        ("ceremony", OperatorRight.Ceremony),
        ("revoke", OperatorRight.Revoke),
        ("rotate", OperatorRight.Rotate),
    ];

    /// <summary>The policy name of <paramref name="permission"/>.</summary>
    public static string NameOf(OperatorRight permission) => Names.First(n => n.Permission == permission).Name;

    /// <summary>The permission named <paramref name="name"/>, or null.</summary>
    public static OperatorRight? Parse(string? name)
    {
        foreach (var (n, p) in Names)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                return p;
            }
        }

        return null;
    }
}
