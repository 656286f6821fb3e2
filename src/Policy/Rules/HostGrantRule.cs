using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Policy.Rules;

/// <summary>What a role grants for host certificates, compiled.</summary>
internal sealed class HostGrantRule
{
    /// <summary>Exact names (lower case) and <c>*.suffix</c> patterns.</summary>
    public required string[] Names { get; init; }

    public required bool AllowWildcardPrincipals { get; init; }

    public required SshCidr[] IpAddresses { get; init; }

    public required ValidityRule Validity { get; init; }

    public required KeyRule Keys { get; init; }

    /// <summary>The role's own key id format, or null for the policy's.</summary>
    public string? KeyIdFormat { get; init; }

    /// <summary>Null when the principal is granted; otherwise why not.</summary>
    public string? Reject(string principal)
    {
        if (System.Net.IPAddress.TryParse(principal, out var address) && !principal.Contains('*', StringComparison.Ordinal))
        {
            return IpAddresses.Any(n => n.Contains(address)) ? null : $"IP address {principal} is not in an allowed network";
        }

        if (principal.StartsWith("*.", StringComparison.Ordinal))
        {
            if (!AllowWildcardPrincipals)
            {
                return $"wildcard principal {principal} is not allowed (and OpenSSH before 10.3 does not match it)";
            }

            // The wildcard itself must be covered by a pattern with the same or a shorter suffix.
            return Names.Any(n => n.StartsWith("*.", StringComparison.Ordinal) && (principal == n || principal.EndsWith(n[1..], StringComparison.Ordinal)))
                ? null
                : $"wildcard principal {principal} is not covered by an allowed pattern";
        }

        if (!IsHostName(principal))
        {
            return $"'{principal}' is not a host name";
        }

        foreach (var name in Names)
        {
            if (name.StartsWith("*.", StringComparison.Ordinal)
                ? principal.EndsWith(name[1..], StringComparison.Ordinal) && principal.Length > name.Length - 1
                : principal == name)
            {
                return null;
            }
        }

        return $"host name {principal} matches no allowed name or pattern";
    }

    /// <summary>RFC 1123 host name in lower case: labels of letters, digits and hyphens.</summary>
    public static bool IsHostName(string name)
    {
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-'
                || !label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return false;
            }
        }

        return true;
    }
}
