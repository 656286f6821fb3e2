using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Policy.Benchmarks;

/// <summary>
/// One policy decision against a policy of 50 roles: 46 OIDC roles for other groups, 2 that
/// match the caller (templated principals, extensions, force-command and source-address rules),
/// a Unix operators role and a hosts role.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class DecisionBenchmarks
{
    private SshPolicy _policy = null!;
    private CallerIdentity _alice = null!;
    private CertificateRequest _request = null!;
    private CertificateRequest _denied = null!;
    private CallerIdentity _host = null!;
    private CertificateRequest _hostRequest = null!;
    private readonly DateTimeOffset _now = DateTimeOffset.FromUnixTimeSeconds(1_764_000_000);

    [GlobalSetup]
    public void Setup()
    {
        var roles = new StringBuilder();
        for (var i = 0; i < 46; i++)
        {
            roles.Append(CultureInfo.InvariantCulture, $$"""
                { "name": "team{{i}}", "match": [ { "oidc": { "issuer": "https://sso.example.com", "groups": ["team{{i}}"] } } ],
                  "user": { "principals": ["{email.local}", "svc{{i}}"], "validity": { "default": "8h", "max": "12h" } } },
                """);
        }

        var json = $$"""
            { "roles": [ {{roles}}
              { "name": "engineers", "match": [ { "oidc": { "issuer": "https://sso.example.com", "emailDomains": ["example.com"], "groups": ["eng"] } } ],
                "user": { "principals": ["{email.local}", "{groups}"], "validity": { "default": "8h", "max": "12h", "backdate": "5m" },
                          "extensions": { "allowed": ["permit-pty", "permit-agent-forwarding", "login@example.com"], "default": ["permit-pty"] } } },
              { "name": "deployers", "match": [ { "oidc": { "issuer": "https://sso.example.com", "groups": ["deploy"] } } ],
                "user": { "principals": ["deploy"], "validity": { "default": "15m", "max": "12h" },
                          "forceCommand": { "allowed": ["/usr/local/bin/deploy"] }, "sourceAddress": { "allowed": ["10.0.0.0/8"] } } },
              { "name": "operators", "match": [ { "unix": { "groups": ["sshca"] } } ], "user": { "principals": ["root"] } },
              { "name": "hosts", "match": [ { "bootstrap": true } ], "host": { "names": ["*.internal.example.com"] } }
            ] }
            """;
        _policy = SshPolicy.Load(json);
        _alice = new CallerIdentity
        {
            Method = AuthMethod.Oidc,
            Name = "alice@example.com",
            Issuer = "https://sso.example.com",
            Claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
            {
                ["email"] = ["alice@example.com"],
                ["groups"] = ["eng", "deploy", "web"],
            },
        };
        var key = Ed25519PublicKey.Create(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        _request = new CertificateRequest
        {
            Type = SshCertificateType.User,
            PublicKey = key,
            Principals = ["alice", "deploy"],
            CriticalOptions = new Dictionary<string, string?>(StringComparer.Ordinal) { ["source-address"] = "10.1.0.0/16" },
            RequestId = "bench",
        };
        _denied = _request with { Principals = ["root"], Validity = TimeSpan.FromDays(1) };
        _host = new CallerIdentity { Method = AuthMethod.BootstrapToken, Name = "token", BoundHostNames = ["web01.internal.example.com"] };
        _hostRequest = new CertificateRequest { Type = SshCertificateType.Host, PublicKey = key, RequestId = "bench" };
        if (!_policy.Evaluate(_alice, _request, _now).IsAllowed || _policy.Evaluate(_alice, _denied, _now).IsAllowed || !_policy.Evaluate(_host, _hostRequest, _now).IsAllowed)
        {
            throw new InvalidOperationException("benchmark fixtures do not give the intended decisions");
        }
    }

    /// <summary>User certificate allowed by the union of two of 50 roles.</summary>
    [Benchmark(Baseline = true)]
    public PolicyDecision UserAllow50Roles() => _policy.Evaluate(_alice, _request, _now);

    /// <summary>User certificate denied with two reasons.</summary>
    [Benchmark]
    public PolicyDecision UserDeny50Roles() => _policy.Evaluate(_alice, _denied, _now);

    /// <summary>Host certificate for a bootstrap token.</summary>
    [Benchmark]
    public PolicyDecision HostAllow50Roles() => _policy.Evaluate(_host, _hostRequest, _now);
}
