namespace SshHsmCa.Policy.Configuration;

#pragma warning disable CA2227, MA0016 // plain data bound from JSON

/// <summary>force-command rules.</summary>
public sealed class ForceCommandDocument
{
    /// <summary>Commands a request may ask for.</summary>
    public List<string>? Allowed { get; set; }

    /// <summary>Applied when the request asks none.</summary>
    public string? Forced { get; set; }
}
