using NSec.Cryptography;
using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.CaDaemon.Tests.Support;

/// <summary>An Ed25519 key in memory standing in for the issuance log's key in the in-process tests (the device path is tested on SoftHSM2 in Interop.Tests).</summary>
internal sealed class SoftwareEd25519Key : ICaKey
{
    private readonly Key _key = Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });

    public SoftwareEd25519Key(string name)
    {
        Description = "software " + name;
        PublicKey = Ed25519PublicKey.Create(_key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public SshPublicKey PublicKey { get; }

    public string Description { get; }

    public bool IsAvailable => true;

    public Task<SshSignature> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default) =>
        Task.FromResult(SshSignatureEncoder.FromEd25519(SignatureAlgorithm.Ed25519.Sign(_key, toBeSigned.Span)));

    public ValueTask DisposeAsync()
    {
        _key.Dispose();
        return ValueTask.CompletedTask;
    }
}
