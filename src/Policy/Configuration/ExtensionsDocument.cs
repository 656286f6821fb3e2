namespace SshHsmCa.Policy.Configuration;

/// <summary>Extension rules.</summary>
public sealed class ExtensionsDocument
{
    /// <summary>Extensions a request may ask for (standard names or name@domain).</summary>
    public List<string>? Allowed { get; set; }

    /// <summary>Given when the request names no extensions; must be allowed.</summary>
    public List<string>? Default { get; set; }
}
