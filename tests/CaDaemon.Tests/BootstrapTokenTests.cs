using System.Security.Cryptography;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Auth;

namespace SshHsmCa.CaDaemon.Tests;

public sealed class BootstrapTokenTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sshhsmca-tokens-").FullName;

    [Fact]
    public async Task ATokenIsUsableOnceBeforeItsExpiryWithItsSecretAndOnlyItsUseIsRecorded()
    {
        using var store = SqlAuditStore.OpenSqlite(Path.Combine(_dir, "audit.db"));
        using var random = RandomNumberGenerator.Create();
        var (token, id, hash) = BootstrapTokenFormat.Create(random);
        await store.CreateBootstrapTokenAsync(new BootstrapTokenRecord(id, hash, ["web-01.example.com", "web-01"], "root", 1000, 2000), CancellationToken.None);

        var parsed = BootstrapTokenFormat.Parse(token)!.Value;
        Assert.Equal(id, parsed.Id);

        // The secret is checked before anything else is revealed.
        var (wrong, _, _) = BootstrapTokenFormat.Create(random);
        var wrongSecret = BootstrapTokenFormat.Parse(token[..^43] + wrong[^43..])!.Value;
        Assert.Equal("wrong secret", (await store.RedeemBootstrapTokenAsync(id, wrongSecret.SecretSha256, 1500, "peer", CancellationToken.None)).Refusal);
        Assert.Equal("expired", (await store.RedeemBootstrapTokenAsync(id, parsed.SecretSha256, 2000, "peer", CancellationToken.None)).Refusal);

        var first = await store.RedeemBootstrapTokenAsync(id, parsed.SecretSha256, 1500, "peer", CancellationToken.None);
        Assert.True(first.Accepted);
        Assert.Equal(["web-01.example.com", "web-01"], first.HostNames);
        Assert.Equal("already used", (await store.RedeemBootstrapTokenAsync(id, parsed.SecretSha256, 1501, "peer", CancellationToken.None)).Refusal);
        Assert.Equal("unknown token", (await store.RedeemBootstrapTokenAsync("000000000000", parsed.SecretSha256, 1501, "peer", CancellationToken.None)).Refusal);

        // Refusals are counted by the daemon, never written: a flood of bad tokens writes nothing.
        var events = await store.ListAuthEventsAsync(100, CancellationToken.None);
        Assert.Equal(["accepted", "created"], events.Select(e => e.Outcome));
        Assert.All(events, e => Assert.DoesNotContain(token[^43..], e.Detail + e.Subject + e.Caller, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConcurrentUsesOfOneTokenAcceptExactlyOne()
    {
        using var store = SqlAuditStore.OpenSqlite(Path.Combine(_dir, "audit.db"));
        using var random = RandomNumberGenerator.Create();
        var (token, id, hash) = BootstrapTokenFormat.Create(random);
        await store.CreateBootstrapTokenAsync(new BootstrapTokenRecord(id, hash, ["h"], "root", 1000, 2000), CancellationToken.None);
        var secret = BootstrapTokenFormat.Parse(token)!.Value.SecretSha256;
        var results = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => store.RedeemBootstrapTokenAsync(id, secret, 1500, "peer", CancellationToken.None))));
        Assert.Single(results, r => r.Accepted);
    }

    [Fact]
    public async Task CheckingATokenUsesNothingAndAReleasedTokenIsUsableAgain()
    {
        using var store = SqlAuditStore.OpenSqlite(Path.Combine(_dir, "audit.db"));
        using var random = RandomNumberGenerator.Create();
        var (token, id, hash) = BootstrapTokenFormat.Create(random);
        await store.CreateBootstrapTokenAsync(new BootstrapTokenRecord(id, hash, ["h"], "root", 1000, 2000), CancellationToken.None);
        var secret = BootstrapTokenFormat.Parse(token)!.Value.SecretSha256;

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await store.CheckBootstrapTokenAsync(id, secret, 1500, CancellationToken.None)).Accepted);
        }

        Assert.True((await store.RedeemBootstrapTokenAsync(id, secret, 1500, "peer", CancellationToken.None)).Accepted);
        Assert.Equal("already used", (await store.CheckBootstrapTokenAsync(id, secret, 1500, CancellationToken.None)).Refusal);

        await store.ReleaseBootstrapTokenAsync(id, 1501, "peer", "no certificate was issued", CancellationToken.None);
        Assert.True((await store.CheckBootstrapTokenAsync(id, secret, 1502, CancellationToken.None)).Accepted);
        Assert.True((await store.RedeemBootstrapTokenAsync(id, secret, 1502, "peer", CancellationToken.None)).Accepted);
        var events = await store.ListAuthEventsAsync(100, CancellationToken.None);
        Assert.Equal(["accepted", "released", "accepted", "created"], events.Select(e => e.Outcome));
    }

    [Theory]
    [InlineData("")]
    [InlineData("shcbt_")]
    [InlineData("shcbt_0123456789ab_short")]
    [InlineData("shcbt_0123456789AB_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("shcbt_0123456789ab-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("shcbt_0123456789ab_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=")]
    [InlineData("xxxxx_0123456789ab_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void MalformedTokensAreNotOurs(string token) => Assert.Null(BootstrapTokenFormat.Parse(token));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
