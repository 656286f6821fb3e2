namespace SshHsmCa.CaDaemon.Revocation;

/// <summary>A KRL version as served: its bytes, its armored SSHSIG, and the entity tag HTTP clients poll with.</summary>
internal sealed record SignedKrl(ulong Version, ulong GeneratedAt, byte[] Krl, string Signature, string SignerPublicKey)
{
    /// <summary>The HTTP entity tag: the version and a hash of the bytes.</summary>
    public string ETag { get; } = $"\"{Version}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Krl).AsSpan(0, 8))}\"";
}
