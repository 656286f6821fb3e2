using System.Security.Cryptography;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Transparency;

namespace SshHsmCa.Ssh.Tests;

/// <summary>Issue 31: the issuance log's leaf has one exact encoding (docs/audit-log.md), read strictly; verifier keys are read as sumdb/note writes them.</summary>
public sealed class LogEntryTests
{
    private static LogEntry Sample => LogEntry.ForCertificate(1_764_000_000, "ca-1", 42, "alice laptop", "ssh-ed25519-cert-v01@openssh.com AAAA comment", "alice", SshCertificateType.User);

    private static byte[] Wire(params object[] fields)
    {
        var writer = new SshWriter();
        foreach (var field in fields)
        {
            switch (field)
            {
                case string text:
                    writer.WriteString(text);
                    break;
                case byte b:
                    writer.WriteByte(b);
                    break;
                case ulong u:
                    writer.WriteUInt64(u);
                    break;
                case byte[] bytes:
                    writer.WriteString(bytes);
                    break;
            }
        }

        return writer.ToArray();
    }

    [Fact]
    public void TheBytesAreTheDocumentedLayoutAndReadBack()
    {
        var digest = SHA256.HashData(Convert.FromBase64String("AAAA"));
        var expected = Wire("ssh-hsm-ca-log-entry-v1", (byte)1, 1_764_000_000UL, "ca-1", 42UL, "alice laptop", digest, "alice", "user");
        Assert.Equal(expected, Sample.Encode());
        Assert.Equal(Sample, LogEntry.Parse(expected));
        Assert.Equal(MerkleTree.LeafHash(expected), Sample.LeafHash());

        // The comment of the line is not part of what is hashed: the blob is.
        Assert.Equal(digest, LogEntry.BlobDigest("ssh-ed25519-cert-v01@openssh.com AAAA"));
    }

    [Fact]
    public void AnythingElseIsRefusedNamingTheField()
    {
        var digest = new byte[32];
        foreach (var (bytes, field) in new (byte[], string)[]
        {
            (Wire("ssh-hsm-ca-log-entry-v2", (byte)1, 1UL, "a", 1UL, "s", digest, "c", "d"), "entry.magic"),
            (Wire("ssh-hsm-ca-log-entry-v1", (byte)0, 1UL, "a", 1UL, "s", digest, "c", "d"), "entry.kind"),
            (Wire("ssh-hsm-ca-log-entry-v1", (byte)5, 1UL, "a", 1UL, "s", digest, "c", "d"), "entry.kind"),
            (Wire("ssh-hsm-ca-log-entry-v1", (byte)1, 1UL, "a", 1UL, "s", new byte[31], "c", "d"), "entry.digest"),
            (Wire("ssh-hsm-ca-log-entry-v1", (byte)1, 1UL, "a", 1UL, "s", digest, "c", "d", "more"), "entry"),
            (Wire("ssh-hsm-ca-log-entry-v1", (byte)1, 1UL, "a", 1UL, "s", digest, "c"), "entry.detail"),
            (Wire("ssh-hsm-ca-log-entry-v1", (byte)1, 1UL, "a\0b", 1UL, "s", digest, "c", "d"), "entry.appliance"),
            ([.. Wire("ssh-hsm-ca-log-entry-v1", (byte)1, 1UL, "a", 1UL, new string('x', 17_000), digest, "c", "d")], "entry"),
        })
        {
            var e = Assert.Throws<SshFormatException>(() => LogEntry.Parse(bytes));
            Assert.Equal(field, e.Field);
        }
    }

    [Fact]
    public void VerifierKeysReadAsNoteWritesThemWithPlusSignsInTheKey()
    {
        for (var i = 0; i < 20; i++)
        {
            var key = new byte[32];
            Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(RandomNumberGenerator.GetBytes(32), 0, key, 0);
            var verifier = SignedNote.VerifierKey("ca.example.com/log", key);
            var (name, parsed) = SignedNote.ParseVerifierKey(verifier);
            Assert.Equal("ca.example.com/log", name);
            Assert.Equal(key, parsed.PublicKey.ToArray());
        }

        var good = SignedNote.VerifierKey("log", new byte[32].Select((_, i) => (byte)i).ToArray());
        foreach (var bad in new[] { "log", "log+12345678", "other" + good[3..], good.Replace("+", "+0", StringComparison.Ordinal), good[..^4] + "AAA=", "log+zzzzzzzz+" + good.Split('+', 3)[2] })
        {
            Assert.Throws<SshFormatException>(() => SignedNote.ParseVerifierKey(bad));
        }
    }
}
