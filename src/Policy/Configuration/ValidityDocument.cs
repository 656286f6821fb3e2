namespace SshHsmCa.Policy.Configuration;

/// <summary>Durations as <c>90s</c>, <c>15m</c>, <c>8h</c>, <c>30d</c>.</summary>
public sealed class ValidityDocument
{
    /// <summary>When the request names none.</summary>
    public string? Default { get; set; }

    /// <summary>The longest a request may ask.</summary>
    public string? Max { get; set; }

    /// <summary>The shortest a request may ask (default 1m).</summary>
    public string? Min { get; set; }

    /// <summary>How far valid_after is set before now, for clock skew (default 0, at most 1h).</summary>
    public string? Backdate { get; set; }

    /// <summary>End no later than the caller's own credential.</summary>
    public bool CapAtCredentialExpiry { get; set; }
}
