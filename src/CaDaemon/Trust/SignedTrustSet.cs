namespace SshHsmCa.CaDaemon.Trust;

/// <summary>A trust-set version, its document and its armored SSHSIG signature by the key that made it.</summary>
internal sealed record SignedTrustSet(ulong Version, byte[] Document, string Signature, string Signer);
