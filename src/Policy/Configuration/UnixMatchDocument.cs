namespace SshHsmCa.Policy.Configuration;

/// <summary>Unix peer conditions.</summary>
public sealed class UnixMatchDocument
{
    /// <summary>Allowed uids.</summary>
    public List<uint>? Uids { get; set; }

    /// <summary>Allowed gids (primary or supplementary).</summary>
    public List<uint>? Gids { get; set; }

    /// <summary>Allowed user names.</summary>
    public List<string>? Users { get; set; }

    /// <summary>Allowed group names.</summary>
    public List<string>? Groups { get; set; }
}
