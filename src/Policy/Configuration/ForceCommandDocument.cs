namespace SshHsmCa.Policy.Configuration;

/// <summary>force-command rules.</summary>
public sealed class ForceCommandDocument
{
    /// <summary>Commands a request may ask for.</summary>
    public List<string>? Allowed { get; set; }

    /// <summary>Applied when the request asks none.</summary>
    public string? Forced { get; set; }
}
