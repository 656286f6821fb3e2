namespace SshHsmCa.Policy.Configuration;

/// <summary>Subject key rules.</summary>
public sealed class KeysDocument
{
    /// <summary>Allowed key types (absent: all supported; empty: none).</summary>
    public List<string>? Types { get; set; }

    /// <summary>Minimum RSA modulus size (default 3072).</summary>
    public int? RsaMinBits { get; set; }

    /// <summary><c>allowed</c> (default), <c>required</c> or <c>forbidden</c>.</summary>
    public string? SecurityKeys { get; set; }
}
