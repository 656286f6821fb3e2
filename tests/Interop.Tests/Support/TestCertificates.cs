using System.Security.Cryptography;
using SshHsmCa.Hsm;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>Builds certificates and signs them through a CA key backend.</summary>
internal static class TestCertificates
{
    private static long _serial = 1000;

    public static async Task<SshCertificate> SignAsync(
        ICaKey ca,
        SshPublicKey subject,
        SshCertificateType type,
        IReadOnlyList<string> principals,
        ulong validAfter,
        ulong validBefore,
        SshOptionSet? extensions = null)
    {
        var builder = new SshCertificateBuilder
        {
            PublicKey = subject,
            SignatureKey = ca.PublicKey,
            Nonce = SshCertificateBuilder.CreateNonce(RandomNumberGenerator.Create()),
            Serial = (ulong)Interlocked.Increment(ref _serial),
            Fields = new SshCertificateFields
            {
                Type = type,
                KeyId = $"interop-{type}-{string.Join(',', principals)}",
                Principals = principals,
                ValidAfter = validAfter,
                ValidBefore = validBefore,
                Extensions = extensions ?? (type == SshCertificateType.User ? SshExtensions.DefaultUser : SshOptionSet.NoExtensions),
            },
        };
        var tbs = builder.EncodeToBeSigned();
        var signature = await ca.SignAsync(tbs);
        return SshCertificateBuilder.Assemble(tbs, signature);
    }

    public static ulong Now => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
