namespace SshHsmCa.CaDaemon.Audit;

/// <summary>A checkpoint one appliance's log key signed: its size and root, its signed-note signature line and its SSHSIG.</summary>
/// <param name="Size">The tree size it commits to.</param>
/// <param name="Signer">The note signer's name (the log key's name).</param>
/// <param name="Root">The tree hash it commits to.</param>
/// <param name="SignatureLine">The note's signature line (<c>— NAME base64</c>, with its newline).</param>
/// <param name="SshSig">The armored SSHSIG over the same checkpoint text.</param>
/// <param name="CreatedAt">When it was signed, Unix seconds.</param>
internal sealed record StoredCheckpoint(long Size, string Signer, byte[] Root, string SignatureLine, string SshSig, ulong CreatedAt);
