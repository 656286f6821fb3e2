namespace SshHsmCa.CaDaemon.Failures;

/// <summary>The request is malformed; every problem found is listed (nothing was signed or recorded).</summary>
internal sealed class InvalidRequestException : CaFailure
{
    /// <summary>Creates the failure from its violations (at least one).</summary>
    public InvalidRequestException(IReadOnlyList<FieldViolation> violations)
        : base(string.Join("; ", (violations ?? throw new ArgumentNullException(nameof(violations))).Select(v => $"{v.Field}: {v.Description}")))
    {
        Violations = violations;
    }

    /// <summary>One malformed field.</summary>
    public InvalidRequestException(string field, string description)
        : this([new FieldViolation(field, description)])
    {
    }

    /// <summary>Each malformed field.</summary>
    public IReadOnlyList<FieldViolation> Violations { get; }

    /// <summary>The same violations with their fields under <paramref name="prefix"/> (<c>public_keys[2]</c>).</summary>
    public InvalidRequestException Under(string prefix) =>
        new([.. Violations.Select(v => v with { Field = prefix, Description = v.Field + ": " + v.Description })]);
}
