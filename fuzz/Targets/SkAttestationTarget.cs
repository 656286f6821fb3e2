using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.SecurityKeys;

namespace SshHsmCa.Fuzz;

/// <summary>
/// A security-key attestation file (what an enrolling user submits, issue 29): the blob, its
/// authenticator data and its COSE key parse strictly or fail with <see cref="SshFormatException"/>;
/// the verifier refuses with <see cref="AttestationRefusedException"/> and nothing else. The
/// input is tried for an ECDSA and an Ed25519 key, with no trusted root, so nothing can pass.
/// </summary>
internal static class SkAttestationTarget
{
    private static readonly Lazy<(SshPublicKey Ecdsa, SshPublicKey Ed25519, AttestationPolicy Policy)> World = new(() => (
        SkEcdsaPublicKey.Create(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportParameters(false) is var p ? [0x04, .. p.Q.X!, .. p.Q.Y!] : [], "ssh:"),
        SkEd25519PublicKey.Create(new byte[32] { 0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a, 0x92, 0xb7, 0x0a, 0xa7, 0x4d, 0x1b, 0x7e, 0xbc, 0x9c, 0x98, 0x2c, 0xcf, 0x2e, 0xc4, 0x96, 0x8c, 0xc0, 0xcd, 0x55, 0xf1, 0x2a, 0xf4, 0x66, 0x0c }, "ssh:"),
        new AttestationPolicy { Roots = [], Now = DateTimeOffset.UnixEpoch.AddYears(56) }));

    public static void Run(byte[] input)
    {
        try
        {
            var blob = SkAttestation.Parse(input);
            _ = AuthenticatorData.Parse(blob.AuthenticatorData.Span);
        }
        catch (SshFormatException)
        {
        }

        try
        {
            _ = AuthenticatorData.Parse(input);
        }
        catch (SshFormatException)
        {
        }

        var (ecdsa, ed25519, policy) = World.Value;
        foreach (var key in new[] { ecdsa, ed25519 })
        {
            try
            {
                _ = AttestationVerifier.Verify(key, input, "challenge"u8, policy);
                throw new InvalidOperationException("an attestation passed with no trusted root");
            }
            catch (AttestationRefusedException)
            {
            }
        }
    }
}
