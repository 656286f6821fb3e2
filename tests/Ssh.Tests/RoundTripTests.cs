using System.Text;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;
using SshHsmCa.Ssh.Tests.Support;

namespace SshHsmCa.Ssh.Tests;

/// <summary>Random certificates (seeded): encode → sign → parse gives back every field, and re-encoding gives the same bytes.</summary>
public class RoundTripTests
{
    private static readonly string[] CaTypes = ["ed25519", "ed25519", "ed25519", "p256", "p384"];

    [Fact]
    public void RandomCertificatesRoundTrip()
    {
        var random = new Random(20261125);
        var cas = CaTypes.Distinct().ToDictionary(t => t, TestCaKey.Create);
        var subjects = SubjectKeys.Types.ToDictionary(t => t, SubjectKeys.Create);
        try
        {
            for (var i = 0; i < 400; i++)
            {
                var ca = cas[CaTypes[random.Next(CaTypes.Length)]];
                var builder = RandomBuilder(random, subjects[SubjectKeys.Types[random.Next(SubjectKeys.Types.Length)]], ca.PublicKey);
                var tbs = builder.EncodeToBeSigned();
                var certificate = SshCertificate.ParseLine(SshCertificateBuilder.Assemble(tbs, ca.Sign(tbs)).ToOpenSshLine("c"));

                Assert.Equal(builder.PublicKey, certificate.PublicKey);
                Assert.Equal(builder.SignatureKey, certificate.SignatureKey);
                Assert.Equal(builder.Nonce.ToArray(), certificate.Nonce.ToArray());
                Assert.Equal(builder.Serial, certificate.Serial);
                Assert.Equal(builder.Fields.Type, certificate.Type);
                Assert.Equal(builder.Fields.KeyId, certificate.KeyId);
                Assert.Equal(builder.Fields.Principals, certificate.Principals);
                Assert.Equal(builder.Fields.ValidAfter, certificate.ValidAfter);
                Assert.Equal(builder.Fields.ValidBefore, certificate.ValidBefore);
                Assert.Equal(builder.Fields.CriticalOptions, certificate.CriticalOptions);
                Assert.Equal(builder.Fields.Extensions, certificate.Extensions);
                Assert.Equal(SignatureVerification.Valid, certificate.VerifySignature());

                var again = new SshCertificateBuilder
                {
                    PublicKey = certificate.PublicKey,
                    SignatureKey = certificate.SignatureKey,
                    Nonce = certificate.Nonce,
                    Serial = certificate.Serial,
                    Fields = new SshCertificateFields
                    {
                        Type = certificate.Type,
                        KeyId = certificate.KeyId,
                        Principals = certificate.Principals,
                        ValidAfter = certificate.ValidAfter,
                        ValidBefore = certificate.ValidBefore,
                        CriticalOptions = certificate.CriticalOptions,
                        Extensions = certificate.Extensions,
                    },
                };
                Assert.Equal(certificate.ToBeSigned.ToArray(), again.EncodeToBeSigned());
            }
        }
        finally
        {
            foreach (var ca in cas.Values)
            {
                ca.Dispose();
            }
        }
    }

    private static SshCertificateBuilder RandomBuilder(Random random, SshPublicKey subject, SshPublicKey ca)
    {
        var type = random.Next(2) == 0 ? SshCertificateType.User : SshCertificateType.Host;
        var critical = new List<SshOption>();
        var extensions = new List<SshOption>();
        if (type == SshCertificateType.User)
        {
            if (random.Next(2) == 0)
            {
                critical.Add(SshCriticalOptions.ForceCommand(RandomText(random, 1, 40)));
            }

            if (random.Next(2) == 0)
            {
                var entries = Enumerable.Range(0, 1 + random.Next(4)).Select(_ => random.Next(2) == 0
                    ? $"{random.Next(1, 224)}.{random.Next(256)}.0.0/16"
                    : $"2001:db8:{random.Next(65536):x}::/48");
                critical.Add(SshCriticalOptions.SourceAddresses(SourceAddressList.Parse(string.Join(',', entries))));
            }

            if (random.Next(3) == 0)
            {
                critical.Add(SshCriticalOptions.VerifyRequired());
            }

            if (random.Next(4) == 0)
            {
                critical.Add(SshOption.WithValue("policy@example.com", RandomText(random, 0, 10)));
            }

            extensions.AddRange(SshExtensions.StandardNames.Where(_ => random.Next(2) == 0).Select(SshOption.Flag));
        }

        foreach (var n in Enumerable.Range(0, random.Next(3)))
        {
            var name = $"ext{n}-{RandomAscii(random)}@example.com";
            extensions.Add(random.Next(2) == 0 ? SshOption.Flag(name) : SshOption.WithValue(name, RandomText(random, 0, 20)));
        }

        var after = (ulong)random.NextInt64(0, long.MaxValue);
        return new SshCertificateBuilder
        {
            PublicKey = subject,
            SignatureKey = ca,
            Nonce = RandomBytes(random, random.Next(8) == 0 ? random.Next(0, 64) : 32),
            Serial = (ulong)random.NextInt64(1, long.MaxValue) * (ulong)random.Next(1, 3),
            Fields = new SshCertificateFields
            {
                Type = type,
                KeyId = RandomText(random, 0, 60),
                Principals = Enumerable.Range(0, 1 + random.Next(random.Next(10) == 0 ? 256 : 8)).Select(_ => RandomText(random, 1, 30)).ToArray(),
                ValidAfter = after,
                ValidBefore = random.Next(5) == 0 ? ulong.MaxValue : after + (ulong)random.NextInt64(1, 1L << 40),
                CriticalOptions = SshOptionSet.Create(SshOptionKind.Critical, critical),
                Extensions = SshOptionSet.Create(SshOptionKind.Extension, extensions.DistinctBy(e => e.Name)),
            },
        };
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomAscii(Random random) => new(Enumerable.Range(0, 6).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray());

    /// <summary>Text without NUL, including non-ASCII and supplementary characters.</summary>
    private static string RandomText(Random random, int min, int max)
    {
        var text = new StringBuilder();
        var length = random.Next(min, max + 1);
        for (var i = 0; i < length; i++)
        {
            switch (random.Next(10))
            {
                case 0:
                    text.Append(char.ConvertFromUtf32(random.Next(0x1F300, 0x1F600)));
                    break;
                case 1:
                    text.Append((char)random.Next(0xA0, 0x2FF));
                    break;
                default:
                    text.Append((char)random.Next(0x21, 0x7F));
                    break;
            }
        }

        return text.ToString();
    }
}
