namespace SshHsmCa.Policy.Configuration;

#pragma warning disable CA2227, MA0016 // plain data bound from JSON

/// <summary>Extension rules.</summary>
public sealed class ExtensionsDocument
{
    /// <summary>Extensions a request may ask for (standard names or name@domain).</summary>
    public List<string>? Allowed { get; set; }

    /// <summary>Given when the request names no extensions; must be allowed.</summary>
    public List<string>? Default { get; set; }
}
