using System.Buffers.Binary;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Tests.Support;

namespace SshHsmCa.Ssh.Tests;

/// <summary>
/// Damaged vectors: every truncation, seeded random byte flips, oversized lengths at every offset.
/// The parser must answer with its own format exception or a well-formed certificate, and never
/// hang or throw anything else.
/// </summary>
public class MutationTests
{
    public static TheoryData<string> Certificates =>
    [
        "v1/user_ecdsa256-cert.pub", "v2/host_ed25519-cert.rsa-sha2-512.pub", "v2/host_ed25519-cert.ssh-rsa-sha1.pub",
        "v3/user_ed25519-cert.pub", "v3/user_ed25519-cert.unknown-critical.pub",
        "v4/user-cert.ed25519.pub", "v4/user-cert.rsa.pub", "v4/user-cert.ecdsa384.pub",
    ];

    [Theory]
    [MemberData(nameof(Certificates))]
    public void EveryTruncationIsAFormatError(string file)
    {
        var blob = Blob(file);
        for (var length = 0; length < blob.Length; length++)
        {
            var truncated = blob[..length];
            Assert.Throws<SshFormatException>(() => SshCertificate.Parse(truncated));
        }
    }

    [Theory]
    [MemberData(nameof(Certificates))]
    public void TrailingBytesAreAFormatError(string file)
    {
        var blob = Blob(file);
        Assert.Throws<SshFormatException>(() => SshCertificate.Parse(blob.Append((byte)0).ToArray()));
    }

    [Theory]
    [MemberData(nameof(Certificates))]
    public void RandomByteFlipsGiveAFormatErrorOrACertificate(string file)
    {
        var blob = Blob(file);
        var random = new Random(file.GetHashCode(StringComparison.Ordinal));
        var parsed = 0;
        for (var i = 0; i < 2000; i++)
        {
            var mutated = (byte[])blob.Clone();
            var flips = 1 + random.Next(3);
            for (var f = 0; f < flips; f++)
            {
                mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            }

            parsed += ParsesOrFailsCleanly(mutated) ? 1 : 0;
        }

        // Flips in the nonce, serial, times and signature bytes still parse; most others do not.
        Assert.InRange(parsed, 1, 1999);
    }

    [Theory]
    [MemberData(nameof(Certificates))]
    public void OversizedLengthsAtEveryOffsetAreHandled(string file)
    {
        var blob = Blob(file);
        uint[] lengths = [uint.MaxValue, int.MaxValue, 0x80000000, (uint)blob.Length, (uint)blob.Length + 1, SshLimits.MaxBlobLength + 1];
        for (var offset = 0; offset <= blob.Length - 4; offset++)
        {
            foreach (var length in lengths)
            {
                var mutated = (byte[])blob.Clone();
                BinaryPrimitives.WriteUInt32BigEndian(mutated.AsSpan(offset), length);
                ParsesOrFailsCleanly(mutated);
            }
        }
    }

    [Fact]
    public void OversizedBlobsAreRefusedBeforeParsing()
    {
        var huge = new byte[SshLimits.MaxBlobLength + 1];
        Assert.Contains("exceeds", Assert.Throws<SshFormatException>(() => SshCertificate.Parse(huge)).Message, StringComparison.Ordinal);
        Assert.Throws<SshFormatException>(() => SshPublicKey.ParseBlob(huge));
    }

    [Fact]
    public void PublicKeyAndSignatureParsersSurviveFlipsAndTruncations()
    {
        var random = new Random(11);
        foreach (var file in new[] { "v1/user_ecdsa256.pub", "v2/ca_rsa3072.pub", "v3/ca_ecdsa384_hsm.pub", "v1/ca_ed25519.pub" })
        {
            var key = SshPublicKey.ParseLine(Vectors.FirstLine(file)).Blob.ToArray();
            for (var length = 0; length < key.Length; length++)
            {
                Assert.Throws<SshFormatException>(() => SshPublicKey.ParseBlob(key.AsMemory(0, length)));
            }

            for (var i = 0; i < 1000; i++)
            {
                var mutated = (byte[])key.Clone();
                mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
                try
                {
                    _ = SshPublicKey.ParseBlob(mutated).GetSha256Fingerprint();
                }
                catch (SshFormatException)
                {
                }
            }
        }

        foreach (var file in new[] { "v1/user_ecdsa256-cert.pub", "v2/host_ed25519-cert.rsa-sha2-512.pub", "v3/user_ed25519-cert.pub", "v4/user-cert.rsa.pub" })
        {
            var signature = SshCertificate.ParseLine(Vectors.FirstLine(file)).Signature.Blob.ToArray();
            for (var length = 0; length < signature.Length; length++)
            {
                Assert.Throws<SshFormatException>(() => SshSignature.Parse(signature.AsMemory(0, length)));
            }
        }
    }

    private static byte[] Blob(string file) => SshCertificate.ParseLine(Vectors.FirstLine(file)).Blob.ToArray();

    /// <summary>True when the blob parsed; then every accessor must work too.</summary>
    private static bool ParsesOrFailsCleanly(byte[] blob)
    {
        SshCertificate certificate;
        try
        {
            certificate = SshCertificate.Parse(blob);
        }
        catch (SshFormatException)
        {
            return false;
        }

        _ = certificate.KeyId;
        _ = certificate.Principals.Count;
        _ = certificate.CriticalOptions.Count;
        _ = certificate.Extensions.Select(e => e.GetStringValue()).ToList();
        _ = certificate.PublicKey.GetSha256Fingerprint();
        _ = SshCertificateListing.Format(certificate, "mutant");
        _ = certificate.VerifySignature();
        return true;
    }
}
