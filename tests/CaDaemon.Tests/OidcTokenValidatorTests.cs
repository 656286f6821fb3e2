using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>ID token checks with the issuer's keys from a JWKS file (the air-gapped configuration).</summary>
public sealed class OidcTokenValidatorTests : IDisposable
{
    private const string Issuer = "https://idp.example.test/";
    private const string ClientId = "ssh-hsm-ca";
    private readonly string _dir = Directory.CreateTempSubdirectory("sshhsmca-oidc-").FullName;
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;
    private readonly OidcTokenValidator _validator;

    public OidcTokenValidatorTests()
    {
        _key = new RsaSecurityKey(_rsa) { KeyId = "k1" };
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = "k1" });
        var jwks = Path.Combine(_dir, "jwks.json");
        File.WriteAllText(jwks, $"{{\"keys\":[{System.Text.Json.JsonSerializer.Serialize(new { kty = "RSA", kid = "k1", use = "sig", n = jwk.N, e = jwk.E })}]}}");
        _validator = new OidcTokenValidator(new OidcOptions { Issuer = Issuer, ClientId = ClientId, JwksFile = jwks });
    }

    private string Token(string issuer = Issuer, string audience = ClientId, int expiresInSeconds = 300, SigningCredentials? credentials = null, bool withSubject = true)
    {
        var now = DateTime.UtcNow;
        var claims = new List<Claim> { new("preferred_username", "alice"), new("email", "alice@example.test"), new("groups", "ssh-users"), new("groups", "admins") };
        if (withSubject)
        {
            claims.Add(new Claim("sub", "sub-alice"));
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity(claims),
            NotBefore = now.AddSeconds(Math.Min(-600, expiresInSeconds - 700)),
            IssuedAt = now.AddSeconds(Math.Min(-600, expiresInSeconds - 700)),
            Expires = now.AddSeconds(expiresInSeconds),
            SigningCredentials = credentials ?? new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
    }

    [Fact]
    public async Task AGoodTokenGivesTheCallerAndItsClaims()
    {
        var (caller, refusal) = await _validator.ValidateAsync(Token(), CancellationToken.None);
        Assert.Null(refusal);
        Assert.NotNull(caller);
        Assert.Equal(AuthMethod.Oidc, caller.Method);
        Assert.Equal("alice", caller.Name);
        Assert.Equal(Issuer, caller.Issuer);
        Assert.Equal(["ssh-users", "admins"], caller.Claim("groups"));
        Assert.NotNull(caller.CredentialExpiresAt);
    }

    [Fact]
    public async Task EachBadTokenIsRefusedWithItsReasonAndNeverEchoed()
    {
        using var other = RSA.Create(2048);
        var cases = new (string Token, string Reason)[]
        {
            (Token(expiresInSeconds: -120), "expired"),
            (Token(issuer: "https://evil.example.test/"), "another issuer"),
            (Token(audience: "another-client"), "another client"),
            (Token(credentials: new SigningCredentials(new RsaSecurityKey(other) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256)), "signature"),
            (Token(credentials: new SigningCredentials(new RsaSecurityKey(other) { KeyId = "k2" }, SecurityAlgorithms.RsaSha256)), "key the issuer does not publish"),
            (Token(credentials: new SigningCredentials(new SymmetricSecurityKey(new byte[32]) { KeyId = "k1" }, SecurityAlgorithms.HmacSha256)), "the ID token"),
            (Token(withSubject: false), "no subject"),
            ("not.a.jwt", "the ID token"),
            (string.Empty, "empty"),
            (new string('a', 20_000), "longer than"),
        };
        foreach (var (token, reason) in cases)
        {
            var (caller, refusal) = await _validator.ValidateAsync(token, CancellationToken.None);
            Assert.Null(caller);
            Assert.Contains(reason, refusal, StringComparison.Ordinal);
            if (token.Length > 20)
            {
                Assert.DoesNotContain(token[^20..], refusal, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task UnsignedTokensAreRefused()
    {
        var header = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var payload = Base64Url($"{{\"iss\":\"{Issuer}\",\"aud\":\"{ClientId}\",\"sub\":\"x\",\"exp\":{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}}}");
        var (caller, _) = await _validator.ValidateAsync($"{header}.{payload}.", CancellationToken.None);
        Assert.Null(caller);
    }

    private static string Base64Url(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _rsa.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
