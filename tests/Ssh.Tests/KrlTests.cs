using System.Globalization;
using System.Text;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;
using SshHsmCa.Ssh.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Ssh.Tests;

/// <summary>
/// KRLs (PROTOCOL.krl) judged by OpenSSH: the vectors decode as their .decoded.txt says and
/// re-encode to ssh-keygen's bytes; for random revocation sets our bytes equal
/// <c>ssh-keygen -k</c>'s, and <c>ssh-keygen -Q</c> agrees with <see cref="SshKrl.IsRevoked(SshCertificate)"/>
/// for every certificate tried; hostile bytes fail with a <see cref="SshFormatException"/>.
/// </summary>
[Trait(OpenSsh.Trait, OpenSsh.Judges)]
public sealed class KrlTests
{
    private static readonly SshPublicKey VectorCa = SshPublicKey.ParseLine(Vectors.FirstLine("krl/ca_ed25519.pub"));

    [Fact]
    public void TheMinimalVectorDecodesAndReencodesToItsBytes()
    {
        var bytes = File.ReadAllBytes(Vectors.Path("krl/minimal.krl"));
        var krl = SshKrl.Parse(bytes);
        Assert.Equal(1UL, krl.Version);
        var section = Assert.Single(krl.Certificates);
        Assert.Equal(VectorCa.Blob.ToArray(), section.CaKeyBlob.ToArray());
        Assert.Equal([new KrlSerialRange(42, 42)], section.Serials);
        Assert.True(section.RevokesSerial(42));
        Assert.False(section.RevokesSerial(0));
        Assert.False(section.RevokesSerial(43));
        Assert.Equal(bytes, krl.Encode());
    }

    [Fact]
    public void TheFullVectorDecodesAsSshKeygenListsItAndReencodesToItsBytes()
    {
        var bytes = File.ReadAllBytes(Vectors.Path("krl/full.krl"));
        var krl = SshKrl.Parse(bytes);
        Assert.Equal((5UL, 1795607856UL, "test KRL"), (krl.Version, krl.GeneratedDate, krl.Comment));
        var section = Assert.Single(krl.Certificates);
        Assert.Equal(
            [new(42, 42), new(100, 199), new(1000, 1000), new(1002, 1003), new(1005, 1005), new(1007, 1007), new(1010, 1010)],
            section.Serials);
        Assert.Equal(["mallory@example.com"], section.KeyIds);
        Assert.Single(krl.ExplicitKeys);
        Assert.Equal("36e2227b4f8522d950cae256da79a01cb14c477480ddf1ad904a98694471b6e9", Convert.ToHexStringLower(Assert.Single(krl.Sha256Fingerprints)));
        Assert.Equal(bytes, krl.Encode());
    }

    [Fact]
    public void TheFullVectorGivesSshKeygensVerdicts()
    {
        var krl = SshKrl.Parse(File.ReadAllBytes(Vectors.Path("krl/full.krl")));
        var verdicts = File.ReadAllLines(Vectors.Path("krl/full.krl.Q.txt"))
            .Where(l => l.Contains("): ", StringComparison.Ordinal))
            .Select(l => (File: l[..l.IndexOf(' ', StringComparison.Ordinal)], Revoked: l.EndsWith("REVOKED", StringComparison.Ordinal)))
            .ToList();
        Assert.True(verdicts.Count >= 8);
        foreach (var (file, revoked) in verdicts)
        {
            var line = Vectors.FirstLine(file);
            var ours = line.Contains("-cert-v01@openssh.com", StringComparison.Ordinal)
                ? krl.IsRevoked(SshCertificate.ParseLine(line))
                : krl.IsRevoked(SshPublicKey.ParseLine(line));
            Assert.True(revoked == ours, $"{file}: ssh-keygen says {(revoked ? "REVOKED" : "ok")}");
        }
    }

    [Fact]
    public void HostileBytesFailWithAFormatErrorAndNothingElse()
    {
        var good = File.ReadAllBytes(Vectors.Path("krl/full.krl"));
        Assert.Throws<SshFormatException>(() => SshKrl.Parse(good.AsMemory(0, good.Length - 1)));
        Assert.Throws<SshFormatException>(() => SshKrl.Parse(good.Append((byte)0).ToArray()));
        Assert.Throws<SshFormatException>(() => SshKrl.Parse(Encoding.ASCII.GetBytes("ssh-ed25519 AAAA")));
        Assert.Throws<SshFormatException>(() => SshKrl.Parse(Array.Empty<byte>()));

        // A section of each refused kind after a valid header.
        var header = good.AsSpan(0, 0x34).ToArray();
        foreach (var (type, body) in new (byte, byte[])[]
        {
            (4, [0, 0, 0, 0]),                                  // SIGNATURE
            (6, [0, 0, 0, 0]),                                  // unknown
            (255, Ext("x@example.com", critical: true)),         // critical extension
            (5, [0, 0, 0, 3, 1, 2, 3]),                         // a SHA256 of 3 bytes
            (1, [0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0]), // serial 0
            (1, [0, 0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 8]), // 9..8
            (1, [0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 7]), // trailing byte in a subsection
        })
        {
            var hostile = header.Concat(new[] { type }).Concat(BigEndian((uint)body.Length)).Concat(body).ToArray();
            Assert.Throws<SshFormatException>(() => SshKrl.Parse(hostile));
        }

        // A non-critical extension is skipped, as OpenSSH skips it.
        var extension = Ext("x@example.com", critical: false);
        Assert.Empty(SshKrl.Parse(header.Concat(new byte[] { 255 }).Concat(BigEndian((uint)extension.Length)).Concat(extension).ToArray()).Certificates);

        // Every single-byte change and every truncation: parsed or refused, never another exception.
        var random = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var mutated = (byte[])good.Clone();
            mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            var cut = mutated.AsMemory(0, random.Next(i % 2 == 0 ? mutated.Length : mutated.Length + 1));
            try
            {
                _ = SshKrl.Parse(cut).Encode();
            }
            catch (SshFormatException)
            {
            }
        }
    }

    [Fact]
    public void ABitmapNeverOutgrowsWhatOpenSshReadsBack()
    {
        // Every other serial from 1 to 40,001: ssh-keygen 9.2 writes one 20,001-bit bitmap and then
        // refuses its own file ("bignum is too large"); ours splits it and OpenSSH reads it.
        using var dir = new TempDir();
        var builder = new SshKrlBuilder();
        for (ulong s = 1; s <= 40001; s += 2)
        {
            builder.RevokeSerial(VectorCa, s);
        }

        var krl = builder.Build(1, 1_800_000_000, string.Empty);
        var path = System.IO.Path.Combine(dir.Path, "sparse.krl");
        File.WriteAllBytes(path, krl.Encode());
        var listed = SshKeygen.Run("-Q", "-l", "-f", path);
        Assert.True(listed.ExitCode == 0, listed.Output);
        Assert.Equal(20001, listed.Stdout.Split('\n').Count(l => l.StartsWith("serial: ", StringComparison.Ordinal)));
        Assert.Equal(20001UL, SshKrl.Parse(krl.Encode()).Certificates.Single().SerialCount);
    }

    /// <summary>
    /// Random revocation sets (serials dense and sparse, ranges, key ids, keys, SHA256 hashes, for
    /// one or two CAs): our encoding equals ssh-keygen -k's for the same specification, version,
    /// date and comment, and ssh-keygen -Q's verdict on every certificate equals ours.
    /// </summary>
    [Fact]
    public void RandomRevocationSetsMatchSshKeygenByteForByteAndVerdictForVerdict()
    {
        using var dir = new TempDir();
        using var caA = TestCaKey.Create("p256");
        using var caB = TestCaKey.Create("ed25519");
        var subjects = Enumerable.Range(0, 4).Select(_ => SubjectKeys.Create("ecdsa-p256")).ToArray();
        var random = new Random(20261129);
        int compared = 0, verdicts = 0, revoked = 0;
        for (var round = 0; round < 60; round++)
        {
            var spec = new StringBuilder();
            var builder = new SshKrlBuilder();
            var twoCas = round % 3 == 0;

            // ssh-keygen -s names one CA for "serial:"/"id:" lines; a second CA comes in through a
            // certificate line, which revokes by serial (as our builder does).
            AddSerialsAndIds(random, spec, builder, caA.PublicKey);
            if (twoCas)
            {
                var serial = (ulong)random.Next(1, 5000);
                var certificate = Issue(caB, subjects[0], serial, "other-ca");
                spec.Append(certificate.ToOpenSshLine()).Append('\n');
                builder.RevokeSerial(caB.PublicKey, serial);
            }

            if (random.Next(3) == 0)
            {
                spec.Append("key: ").Append(subjects[1].ToOpenSshLine()).Append('\n');
                builder.RevokeKey(subjects[1]);
            }

            if (random.Next(3) == 0)
            {
                spec.Append("hash: ").Append(subjects[2].GetSha256Fingerprint()).Append('\n');
                builder.RevokeKeySha256(subjects[2]);
            }

            var specPath = System.IO.Path.Combine(dir.Path, "spec");
            var theirs = System.IO.Path.Combine(dir.Path, "theirs.krl");
            var caPath = System.IO.Path.Combine(dir.Path, "ca.pub");
            File.WriteAllText(specPath, spec.ToString());
            File.WriteAllText(caPath, caA.PublicKey.ToOpenSshLine() + "\n");
            File.Delete(theirs);
            var version = (ulong)random.Next(1, 1000);
            var made = SshKeygen.Run("-k", "-f", theirs, "-s", caPath, "-z", version.ToString(CultureInfo.InvariantCulture), "-C", $"round {round}", specPath);
            Assert.True(made.ExitCode == 0, made.Output + "\n" + spec);
            var theirBytes = File.ReadAllBytes(theirs);
            var date = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(theirBytes.AsSpan(20));
            var ours = builder.Build(version, date, $"round {round}");
            Assert.True(theirBytes.AsSpan().SequenceEqual(ours.Encode()), $"round {round}: bytes differ for\n{spec}");
            compared++;

            // Certificates near the revoked serials, with revoked and other key ids, by both CAs.
            var certificates = new List<(SshCertificate Certificate, string Path)>();
            for (var i = 0; i < 25; i++)
            {
                var ca = i % 5 == 4 ? caB : caA;
                var serial = (ulong)random.Next(1, 5200);
                var keyId = random.Next(4) == 0 ? $"user-{random.Next(6)}" : "someone";
                var certificate = Issue(ca, subjects[random.Next(subjects.Length)], serial, keyId);
                var path = System.IO.Path.Combine(dir.Path, $"c{i}-cert.pub");
                File.WriteAllText(path, certificate.ToOpenSshLine() + "\n");
                certificates.Add((certificate, path));
            }

            var query = SshKeygen.Run(["-Q", "-f", theirs, .. certificates.Select(c => c.Path)]);
            var lines = query.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(certificates.Count, lines.Length);
            for (var i = 0; i < certificates.Count; i++)
            {
                var theirVerdict = lines[i].EndsWith("REVOKED", StringComparison.Ordinal);
                Assert.True(theirVerdict == ours.IsRevoked(certificates[i].Certificate), $"round {round}, {lines[i]}\n{spec}");
                verdicts++;
                revoked += theirVerdict ? 1 : 0;
            }
        }

        Assert.Equal(60, compared);
        Assert.True(verdicts >= 1000 && revoked > 100 && verdicts - revoked > 100, $"{verdicts} verdicts, {revoked} revoked");
    }

    private static void AddSerialsAndIds(Random random, StringBuilder spec, SshKrlBuilder builder, SshPublicKey ca)
    {
        var pattern = random.Next(3);
        var count = random.Next(1, 200);
        ulong cursor = (ulong)random.Next(1, 100);
        for (var i = 0; i < count; i++)
        {
            // Dense (runs and small gaps), sparse (large gaps) or mixed.
            var gap = pattern switch
            {
                0 => (ulong)random.Next(1, 3),
                1 => (ulong)random.Next(50, 400),
                _ => random.Next(2) == 0 ? (ulong)random.Next(1, 4) : (ulong)random.Next(60, 300),
            };
            cursor += gap;
            if (random.Next(6) == 0)
            {
                var hi = cursor + (ulong)random.Next(1, 40);
                spec.Append(CultureInfo.InvariantCulture, $"serial: {cursor}-{hi}\n");
                builder.RevokeSerials(ca, cursor, hi);
                cursor = hi;
            }
            else
            {
                spec.Append(CultureInfo.InvariantCulture, $"serial: {cursor}\n");
                builder.RevokeSerial(ca, cursor);
            }
        }

        for (var i = random.Next(3); i > 0; i--)
        {
            var id = $"user-{random.Next(6)}";
            spec.Append(CultureInfo.InvariantCulture, $"id: {id}\n");
            builder.RevokeKeyId(ca, id);
        }
    }

    private static SshCertificate Issue(TestCaKey ca, SshPublicKey subject, ulong serial, string keyId)
    {
        var builder = new SshCertificateBuilder
        {
            PublicKey = subject,
            SignatureKey = ca.PublicKey,
            Nonce = new byte[32],
            Serial = serial,
            Fields = new SshCertificateFields
            {
                Type = SshCertificateType.User,
                KeyId = keyId,
                Principals = ["alice"],
                ValidAfter = 0,
                ValidBefore = ulong.MaxValue,
            },
        };
        var tbs = builder.EncodeToBeSigned();
        return SshCertificateBuilder.Assemble(tbs, ca.Sign(tbs));
    }

    private static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    private static byte[] Ext(string name, bool critical)
    {
        var writer = new SshWriter();
        writer.WriteString(name);
        writer.WriteBoolean(critical);
        writer.WriteString(ReadOnlySpan<byte>.Empty);
        return writer.ToArray();
    }
}
