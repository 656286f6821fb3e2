namespace SshHsmCa.CaDaemon.Transparency;

/// <summary>The latest signed checkpoint: the note with every appliance's signature line, and each one's SSHSIG over the same text.</summary>
/// <param name="Size">The tree size.</param>
/// <param name="Root">The tree hash.</param>
/// <param name="Text">The checkpoint text (what is signed).</param>
/// <param name="Note">The signed note: the text, an empty line, the signature lines.</param>
/// <param name="SshSigs">Signer name → armored SSHSIG over the text.</param>
/// <param name="SignedAt">When the newest signature was made, Unix seconds.</param>
internal sealed record SignedCheckpoint(long Size, byte[] Root, string Text, string Note, IReadOnlyDictionary<string, string> SshSigs, ulong SignedAt);
