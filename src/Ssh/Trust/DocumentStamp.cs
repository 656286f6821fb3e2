using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Trust;

/// <summary>The version of an installed document and the key that signed it (null: installed before signers were recorded).</summary>
public sealed record DocumentStamp(ulong Version, SshPublicKey? Signer);
