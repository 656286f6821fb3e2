using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>The names the store, the journal and the API use for the closed sets of an audit record.</summary>
internal static class AuditNames
{
    /// <summary><c>pending</c>, <c>issued</c> or <c>failed</c>.</summary>
    public static string Name(AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Pending => "pending",
        AuditOutcome.Issued => "issued",
        AuditOutcome.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    /// <summary><c>user</c> or <c>host</c>.</summary>
    public static string Name(SshCertificateType type) => type == SshCertificateType.User ? "user" : "host";

    /// <summary>The outcome a stored name stands for.</summary>
    /// <exception cref="InvalidDataException">The store holds another value.</exception>
    public static AuditOutcome ParseOutcome(string name) => name switch
    {
        "pending" => AuditOutcome.Pending,
        "issued" => AuditOutcome.Issued,
        "failed" => AuditOutcome.Failed,
        _ => throw new InvalidDataException($"the audit store holds an unknown outcome '{name}'"),
    };

    /// <summary>The certificate type a stored name stands for.</summary>
    /// <exception cref="InvalidDataException">The store holds another value.</exception>
    public static SshCertificateType ParseType(string name) => name switch
    {
        "user" => SshCertificateType.User,
        "host" => SshCertificateType.Host,
        _ => throw new InvalidDataException($"the audit store holds an unknown certificate type '{name}'"),
    };

    /// <summary>
    /// The authentication method a stored name stands for (<see cref="AuthMethods.Name"/>; records
    /// written before 0.2.0 hold the enum's own names, "MutualTls" and so on, and still read).
    /// </summary>
    /// <exception cref="InvalidDataException">The store holds another value.</exception>
    public static AuthMethod ParseAuthMethod(string name)
    {
        foreach (var method in Enum.GetValues<AuthMethod>())
        {
            if (AuthMethods.Name(method) == name)
            {
                return method;
            }
        }

        return Enum.TryParse<AuthMethod>(name, ignoreCase: false, out var legacy) && Enum.IsDefined(legacy) && !int.TryParse(name, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? legacy
            : throw new InvalidDataException($"the audit store holds an unknown authentication method '{name}'");
    }
}
