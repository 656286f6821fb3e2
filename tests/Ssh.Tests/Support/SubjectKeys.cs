using System.Security.Cryptography;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.Tests.Support;

/// <summary>Public keys of every subject type, made in memory (sk keys need no hardware to be certified).</summary>
internal static class SubjectKeys
{
    public static readonly string[] Types = ["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa2048", "sk-ecdsa", "sk-ed25519"];

    private static readonly Lazy<RSA> Rsa = new(() => RSA.Create(2048));

    public static SshPublicKey Create(string type) => type switch
    {
        "ed25519" => Ed25519PublicKey.Create(NewEd25519()),
        "ecdsa-p256" => EcdsaPublicKey.FromParameters(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportParameters(false)),
        "ecdsa-p384" => EcdsaPublicKey.FromParameters(ECDsa.Create(ECCurve.NamedCurves.nistP384).ExportParameters(false)),
        "rsa2048" => RsaPublicKey.FromParameters(Rsa.Value.ExportParameters(false)),
        "sk-ecdsa" => SkEcdsaPublicKey.Create(((EcdsaPublicKey)Create("ecdsa-p256")).Q.Span, "ssh:"),
        "sk-ed25519" => SkEd25519PublicKey.Create(NewEd25519(), "ssh:"),
        _ => throw new ArgumentException(type, nameof(type)),
    };

    private static byte[] NewEd25519()
    {
        var pk = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(RandomNumberGenerator.GetBytes(32), 0, pk, 0);
        return pk;
    }
}
