using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.CaDaemon.Tests;

public sealed class RenewalChallengesTests : IDisposable
{
    private static readonly SshCertificate Certificate = SshCertificate.ParseLine(File.ReadAllText(Repository.Vector("v1/user_ecdsa256-cert.pub")));
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_764_000_000));
    private readonly RandomNumberGenerator _random = RandomNumberGenerator.Create();

    [Fact]
    public void AChallengeOpensForItsCertificateOnlyAndIsUsableOnce()
    {
        using var challenges = new RenewalChallenges(_time, _random);
        var challenge = challenges.Begin(Certificate);
        Assert.Equal(Certificate.Serial, challenges.SerialOf(challenge.Id));
        var opened = challenges.Open(challenge.Id, Certificate);
        Assert.NotNull(opened);
        Assert.Equal(challenge.Message, opened.Message);
        Assert.True(challenges.TryUse(opened));
        Assert.False(challenges.TryUse(challenges.Open(challenge.Id, Certificate)!));
    }

    [Fact]
    public void AnExpiredForgedOrForeignChallengeDoesNotOpen()
    {
        using var challenges = new RenewalChallenges(_time, _random);
        var challenge = challenges.Begin(Certificate);

        // Another process (another key) did not issue it.
        using var other = new RenewalChallenges(_time, _random);
        Assert.Null(other.Open(challenge.Id, Certificate));

        // Every single flipped character of the id is refused.
        for (var i = 0; i < challenge.Id.Length; i++)
        {
            var flipped = challenge.Id.ToCharArray();
            flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
            Assert.Null(challenges.Open(new string(flipped), Certificate));
        }

        Assert.Null(challenges.SerialOf(challenge.Id + "A"));
        Assert.Null(challenges.SerialOf(string.Empty));
        Assert.Null(challenges.SerialOf(new string('=', 86)));

        _time.Advance(RenewalChallenges.Lifetime);
        Assert.Null(challenges.SerialOf(challenge.Id));
        Assert.Null(challenges.Open(challenge.Id, Certificate));
    }

    [Fact]
    public void AFloodOfChallengesStoresNothingAndDeniesNobody()
    {
        using var challenges = new RenewalChallenges(_time, _random);
        for (var i = 0; i < 20_000; i++)
        {
            challenges.Begin(Certificate);
        }

        // The genuine host's challenge, handed out after the flood, still works.
        var genuine = challenges.Begin(Certificate);
        Assert.True(challenges.TryUse(challenges.Open(genuine.Id, Certificate)!));
    }

    public void Dispose() => _random.Dispose();
}
