namespace SshHsmCa.Policy.Configuration;

/// <summary>Host certificate grants.</summary>
public sealed class HostDocument
{
    /// <summary>Exact host names and <c>*.suffix</c> patterns requested principals must match.</summary>
    public List<string>? Names { get; set; }

    /// <summary>Whether a principal may itself be a wildcard (<c>*.suffix</c>, OpenSSH ≥ 10.3 only).</summary>
    public bool AllowWildcardPrincipals { get; set; }

    /// <summary>CIDRs that IP-address principals must fall in (absent or empty: none).</summary>
    public List<string>? IpAddresses { get; set; }

    /// <summary>Validity (default 30 days).</summary>
    public ValidityDocument? Validity { get; set; }

    /// <summary>Key id format for host certificates from this role (placeholders as the policy's); absent: the policy's.</summary>
    public string? KeyIdFormat { get; set; }

    /// <summary>Subject key rules.</summary>
    public KeysDocument? Keys { get; set; }
}
