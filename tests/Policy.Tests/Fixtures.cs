using System.Security.Cryptography;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Policy.Tests;

/// <summary>Callers, keys and a policy used across the policy tests.</summary>
internal static class Fixtures
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_764_000_000);

    public static readonly SshPublicKey Ed25519 = Ed25519PublicKey.Create(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    public static readonly SshPublicKey SkEd25519 = SkEd25519PublicKey.Create(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), "ssh:");
    public static readonly SshPublicKey Rsa2048 = RsaPublicKey.FromParameters(RSA.Create(2048).ExportParameters(false));
    public static readonly SshPublicKey Rsa3072 = RsaPublicKey.FromParameters(RSA.Create(3072).ExportParameters(false));

    public static CallerIdentity Alice(params string[] groups) => new()
    {
        Method = AuthMethod.Oidc,
        Name = "alice@example.com",
        Issuer = "https://sso.example.com",
        Claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            ["email"] = ["alice@example.com"],
            ["email_verified"] = ["true"],
            ["groups"] = groups,
            ["preferred_username"] = ["alice"],
        },
        CredentialExpiresAt = (ulong)Now.ToUnixTimeSeconds() + 3600,
    };

    public static CallerIdentity Operator => new()
    {
        Method = AuthMethod.UnixSocket,
        Name = "ops",
        Uid = 1001,
        Gids = [1001, 990],
        UserName = "ops",
        GroupNames = ["ops", "sshca"],
    };

    public static CallerIdentity Bootstrap(params string[] hosts) => new()
    {
        Method = AuthMethod.BootstrapToken,
        Name = "token:7f3a",
        BoundHostNames = hosts,
    };

    public static CertificateRequest User(SshPublicKey? key = null, string[]? principals = null, TimeSpan? validity = null,
        Dictionary<string, string?>? critical = null, Dictionary<string, string?>? extensions = null) => new()
    {
        Type = SshCertificateType.User,
        PublicKey = key ?? Ed25519,
        Principals = principals ?? [],
        Validity = validity,
        CriticalOptions = critical ?? new Dictionary<string, string?>(StringComparer.Ordinal),
        Extensions = extensions,
        RequestId = "req-1",
    };

    public static CertificateRequest Host(string[] principals, SshPublicKey? key = null, Dictionary<string, string?>? critical = null) => new()
    {
        Type = SshCertificateType.Host,
        PublicKey = key ?? Ed25519,
        Principals = principals,
        CriticalOptions = critical ?? new Dictionary<string, string?>(StringComparer.Ordinal),
        RequestId = "req-2",
    };

    public const string StandardJson = """
        {
          // Comments are allowed in policy files.
          "keyIdFormat": "{caller} via {method} [{principals}] {requestId}",
          "roles": [
            {
              "name": "engineers",
              "match": [ { "oidc": { "issuer": "https://sso.example.com", "emailDomains": ["example.com"], "groups": ["eng"] } } ],
              "user": {
                "principals": ["{email.local}", "{groups}"],
                "validity": { "default": "8h", "max": "12h", "min": "5m", "backdate": "5m", "capAtCredentialExpiry": false },
                "extensions": { "allowed": ["permit-pty", "permit-port-forwarding", "permit-agent-forwarding", "login@example.com"], "default": ["permit-pty"] },
                "keys": { "rsaMinBits": 3072 }
              }
            },
            {
              "name": "deployers",
              "match": [ { "oidc": { "issuer": "https://sso.example.com", "groups": ["deploy"] } } ],
              "user": {
                "principals": ["deploy"],
                "validity": { "default": "15m", "max": "1h" },
                "forceCommand": { "allowed": ["/usr/local/bin/deploy --check"], "forced": "/usr/local/bin/deploy" },
                "sourceAddress": { "allowed": ["10.0.0.0/8"], "default": "10.1.0.0/16" },
                "extensions": { "allowed": [], "default": [] }
              }
            },
            {
              "name": "operators",
              "match": [ { "unix": { "groups": ["sshca"] } } ],
              "user": {
                "principals": ["root", "{unix.user}"],
                "validity": { "default": "1h", "max": "4h" },
                "verifyRequiredForSecurityKeys": true,
                "customCriticalOptions": { "trace@example.com": [], "ticket@example.com": ["CHG-1", "CHG-2"] },
                "keys": { "securityKeys": "required" }
              },
              "host": { "names": ["*.internal.example.com", "bastion.example.com"], "allowWildcardPrincipals": true, "ipAddresses": ["10.0.0.0/8"] }
            },
            {
              "name": "hosts",
              "match": [ { "bootstrap": true }, { "hostRenewal": true } ],
              "host": { "names": ["*.internal.example.com"], "keyIdFormat": "host {principals} via {caller}", "validity": { "default": "30d", "max": "90d", "backdate": "5m" }, "keys": { "types": ["ssh-ed25519", "ecdsa-sha2-nistp256"] } }
            }
          ]
        }
        """;

    public static readonly SshPolicy StandardPolicy = SshPolicy.Load(StandardJson);

    public static Allow Allowed(PolicyDecision decision) =>
        decision as Allow ?? throw new Xunit.Sdk.XunitException("denied: " + string.Join("; ", ((Deny)decision).Reasons));

    public static void AssertSameTemplate(SshCertificateFields expected, SshCertificateFields actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.KeyId, actual.KeyId);
        Assert.Equal(expected.Principals, actual.Principals);
        Assert.Equal(expected.ValidAfter, actual.ValidAfter);
        Assert.Equal(expected.ValidBefore, actual.ValidBefore);
        Assert.Equal(expected.CriticalOptions, actual.CriticalOptions);
        Assert.Equal(expected.Extensions, actual.Extensions);
    }

    public static Deny Denied(PolicyDecision decision) =>
        decision as Deny ?? throw new Xunit.Sdk.XunitException("allowed: " + string.Join(",", ((Allow)decision).Template.Principals));
}
