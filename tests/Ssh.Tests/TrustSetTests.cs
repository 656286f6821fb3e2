using System.Text;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Trust;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Ssh.Tests;

/// <summary>The trust-set document: its exact bytes, and a strict, bounded parser that names the line it refuses.</summary>
public sealed class TrustSetTests
{
    private static readonly string Corpus = Path.Combine(Repository.Root, "fuzz", "corpus", "trust-set");

    private static SshPublicKey Key(int line) =>
        SshPublicKey.ParseLine(File.ReadAllText(Path.Combine(Corpus, "rotation.txt")).Split('\n')[line].Split(' ', 3)[2]);

    [Fact]
    public void ADocumentReadsBackToTheSameBytes()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Corpus, "rotation.txt"));
        var set = TrustSet.Parse(bytes);
        Assert.Equal(7UL, set.Version);
        Assert.Equal(bytes, set.Encode());
        Assert.Equal([Key(2), Key(3)], set.Trusted(SshCertificateType.User));
        Assert.Equal(Key(2), set.Active(SshCertificateType.User));
        Assert.Equal([Key(4)], set.Trusted(SshCertificateType.Host));

        var revoked = TrustSet.Parse(File.ReadAllBytes(Path.Combine(Corpus, "revoked.txt")));
        Assert.Single(revoked.Trusted(SshCertificateType.User));
        Assert.Equal(CaKeyState.Revoked, revoked.Keys[^1].State);
    }

    [Theory]
    [InlineData("", "does not end with a newline")]
    [InlineData("ssh-hsm-ca trust set 2\nversion 1\n", "line 1")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 01\n", "line 2")]
    [InlineData("ssh-hsm-ca trust set 1\nversion -1\n", "line 2")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 18446744073709551616\n", "line 2")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\n", "needs an active user")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\nuser active\n", "line 3")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\nadmin active K2\nhost active K4\n", "neither user nor host")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\nuser current K2\nhost active K4\n", "not a key state")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\nuser active K2 comment\nhost active K4\n", "without a comment")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\nuser active K2\nuser next K2\nhost active K4\n", "appears twice")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\nuser next K2\nuser retired K3\nhost active K4\n", "needs an active user")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\nuser active K2\nhost active K4\n\n", "line 5")]
    [InlineData("ssh-hsm-ca trust set 1\r\nversion 1\r\n", "printable")]
    [InlineData("ssh-hsm-ca trust set 1\nversion 1\nuser active K2\nhost active K4\u00e9\n", "printable")]
    public void MalformedDocumentsAreRefusedByLine(string template, string expected)
    {
        var text = template.Replace("K2", Key(2).ToOpenSshLine(), StringComparison.Ordinal).Replace("K3", Key(3).ToOpenSshLine(), StringComparison.Ordinal).Replace("K4", Key(4).ToOpenSshLine(), StringComparison.Ordinal);
        var e = Assert.Throws<SshFormatException>(() => TrustSet.Parse(Encoding.UTF8.GetBytes(text)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SizeAndKeyCountAreBounded()
    {
        Assert.Contains("exceed", Assert.Throws<SshFormatException>(() => TrustSet.Parse(new byte[TrustSet.MaxLength + 1])).Message, StringComparison.Ordinal);
        var many = new StringBuilder("ssh-hsm-ca trust set 1\nversion 1\n");
        for (var i = 0; i <= TrustSet.MaxKeys; i++)
        {
            many.Append("user next ").Append(Key(2).ToOpenSshLine()).Append('\n');
        }

        Assert.Contains("more than 64 keys", Assert.Throws<SshFormatException>(() => TrustSet.Parse(Encoding.ASCII.GetBytes(many.ToString()))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MutatedDocumentsFailOnlyAsFormatErrors()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Corpus, "rotation.txt"));
        var random = new Random(17);
        for (var i = 0; i < 2000; i++)
        {
            var mutated = (byte[])bytes.Clone();
            for (var j = random.Next(1, 4); j > 0; j--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            try
            {
                var set = TrustSet.Parse(mutated);
                Assert.Equal(mutated, set.Encode());
            }
            catch (SshFormatException)
            {
                // The one failure bad input may cause.
            }
        }
    }
}
