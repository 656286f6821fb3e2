namespace SshHsmCa.Policy.Configuration;

/// <summary>source-address rules.</summary>
public sealed class SourceAddressDocument
{
    /// <summary>CIDRs that requested entries must fall inside.</summary>
    public List<string>? Allowed { get; set; }

    /// <summary>A list applied when the request asks none.</summary>
    public string? Default { get; set; }
}
