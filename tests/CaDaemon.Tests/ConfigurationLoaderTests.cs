using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.CaDaemon.Tests;

public sealed class ConfigurationLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sshhsmca-config-").FullName;

    private string Write(string name, string json)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void ConfDFilesMergeInNameOrderOverTheMainFile()
    {
        var policy = Write("policy.json", """{ "roles": [ { "name": "ops", "match": [ { "unix": { "uids": [0] } } ], "user": { "principals": ["admin"] } } ] }""");
        var config = Write("config.json", $$"""
            {
              // comments are allowed
              "unixSocket": { "path": "/run/ssh-hsm-ca/ca.sock" },
              "userCa": { "uri": "pkcs11:token=a;object=u", "pinFile": "/etc/ssh-hsm-ca/pin" },
              "hostCa": { "uri": "pkcs11:token=a;object=h", "pinFile": "/etc/ssh-hsm-ca/pin" },
              "policyFile": "{{policy}}"
            }
            """);
        Write("conf.d/20-pool.json", """{ "userCa": { "pkcs11": { "poolSize": 4 } } }""");
        Write("conf.d/10-socket.json", """{ "unixSocket": { "mode": "0600" }, "userCa": { "pkcs11": { "poolSize": 2 } } }""");
        var (options, errors) = ConfigurationLoader.Load(config);
        Assert.Empty(errors);
        Assert.Equal("0600", options!.UnixSocket!.Mode);
        Assert.Equal("/run/ssh-hsm-ca/ca.sock", options.UnixSocket.Path);

        // --check-config says what it read and what it could not check (issue 28).
        var summary = ConfigurationSummary.Describe(config, options);
        Assert.StartsWith($"{config} with 10-socket.json, 20-pool.json: valid\n", summary, StringComparison.Ordinal);
        Assert.Contains("user CA key userCa: active, pkcs11:token=a;object=u", summary, StringComparison.Ordinal);
        Assert.Contains("socket:   /run/ssh-hsm-ca/ca.sock (mode 0600)", summary, StringComparison.Ordinal);
        Assert.Contains("Not checked: the CA keys on their devices", summary, StringComparison.Ordinal);
        Assert.Equal(4, options.UserCa!.Pkcs11!.PoolSize);
        Assert.Equal("pkcs11:token=a;object=u", options.UserCa.Uri);
    }

    [Fact]
    public void TheLogSectionIsCheckedFieldByFieldAndSummarized()
    {
        var policy = Write("policy.json", """{ "roles": [ { "name": "ops", "match": [ { "unix": { "uids": [0] } } ], "user": { "principals": ["admin"] } } ] }""");
        string Config(string log) => Write("config.json", $$"""
            {
              "unixSocket": { "path": "/run/ssh-hsm-ca/ca.sock" },
              "userCa": { "uri": "pkcs11:token=a;object=u", "pinFile": "/etc/ssh-hsm-ca/pin" },
              "hostCa": { "uri": "pkcs11:token=a;object=h", "pinFile": "/etc/ssh-hsm-ca/pin" },
              "policyFile": "{{policy}}",
              "log": {{log}}
            }
            """);
        var (options, errors) = ConfigurationLoader.Load(Config("""{ "origin": "ca.example.com/log", "key": { "uri": "pkcs11:token=a;object=log", "pinFile": "/etc/ssh-hsm-ca/pin" }, "checkpointSeconds": 5 }"""));
        Assert.Empty(errors);
        Assert.Contains("log:      ca.example.com/log, checkpoints signed by ca.example.com/log with pkcs11:token=a;object=log at most every 5 s", ConfigurationSummary.Describe(Path.Combine(_dir, "config.json"), options!), StringComparison.Ordinal);

        var bad = ConfigurationLoader.Load(Config("""{ "origin": "has space", "signerName": "a+b", "key": { "uri": "pkcs11:token=a;object=log" }, "checkpointSeconds": 0 }"""));
        Assert.Contains(bad.Errors, e => e.Contains("$.log.origin: 'has space' is not a log origin", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.Contains("$.log.signerName: 'a+b'", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.Contains("$.log.checkpointSeconds: 0 is not between 1 and 86400", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.Contains("$.log.key: exactly one of pinFile and pinCredential is required", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownMembersAndBadValuesAreReportedWithTheirPath()
    {
        var typo = ConfigurationLoader.Load(Write("config.json", """{ "unixSokcet": {} }"""));
        Assert.Null(typo.Options);
        var typoError = Assert.Single(typo.Errors);
        Assert.Contains("$.unixSokcet: unknown member 'unixSokcet' at $; the members there are: ", typoError, StringComparison.Ordinal);
        Assert.Contains("unixSocket", typoError, StringComparison.Ordinal);
        Assert.DoesNotContain("SshHsmCa.", typoError, StringComparison.Ordinal);
        var nestedTypo = ConfigurationLoader.Load(Write("config.json", """{ "tls": { "adress": "127.0.0.1" } }"""));
        Assert.Contains("$.tls.adress: unknown member 'adress' at $.tls", Assert.Single(nestedTypo.Errors), StringComparison.Ordinal);

        var bad = ConfigurationLoader.Load(Write("config.json", """
            { "tls": { "address": "localhost", "port": 70000 }, "userCa": { "uri": "pkcs11:token=a;object=u?pin-value=1234", "pinFile": "/p", "pinCredential": "c" } }
            """));
        Assert.Contains(bad.Errors, e => e.StartsWith("$.tls.address", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.StartsWith("$.tls.port", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.StartsWith("$.userCa.uri", StringComparison.Ordinal) && e.Contains("PIN", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.StartsWith("$.userCa:", StringComparison.Ordinal) && e.Contains("exactly one", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.StartsWith("$.hostCa", StringComparison.Ordinal));
        Assert.Contains(bad.Errors, e => e.StartsWith("$.policyFile", StringComparison.Ordinal));
        Assert.DoesNotContain(bad.Errors, e => e.Contains("1234", StringComparison.Ordinal));

        var sections = ConfigurationLoader.Load(Write("config.json", """
            { "userCa": { "uri": "piv:slot=9c", "pinFile": "/p", "pkcs11": { "poolSize": 4 }, "piv": { "touchTimeoutSeconds": 0 } },
              "hostCa": { "uri": "pkcs11:token=a;object=h", "pinFile": "/p", "piv": {}, "pkcs11": { "poolSize": 0 } } }
            """));
        Assert.Contains(sections.Errors, e => e.StartsWith("$.userCa.pkcs11:", StringComparison.Ordinal) && e.Contains("'piv' section", StringComparison.Ordinal));
        Assert.Contains(sections.Errors, e => e.StartsWith("$.userCa.piv.touchTimeoutSeconds:", StringComparison.Ordinal));
        Assert.Contains(sections.Errors, e => e.StartsWith("$.hostCa.piv:", StringComparison.Ordinal) && e.Contains("'pkcs11' section", StringComparison.Ordinal));
        Assert.Contains(sections.Errors, e => e.StartsWith("$.hostCa.pkcs11.poolSize:", StringComparison.Ordinal));

        var malformed = ConfigurationLoader.Load(Write("config.json", "{ \"tls\": "));
        Assert.Null(malformed.Options);
        Assert.Single(malformed.Errors);
    }

    [Fact]
    public void AnInvalidPolicyFileIsReportedWithItsOwnPaths()
    {
        var policy = Write("policy.json", """{ "roles": [ { "name": "x", "match": [ { "unix": { "uids": ["root"] } } ] } ] }""");
        var (_, errors) = ConfigurationLoader.Load(Write("config.json", $$"""
            {
              "unixSocket": { "path": "/run/ssh-hsm-ca/ca.sock" },
              "userCa": { "uri": "pkcs11:token=a;object=u", "pinFile": "/etc/ssh-hsm-ca/pin" },
              "hostCa": { "uri": "pkcs11:token=a;object=h", "pinFile": "/etc/ssh-hsm-ca/pin" },
              "policyFile": "{{policy}}"
            }
            """));
        var error = Assert.Single(errors);
        Assert.StartsWith($"$.policyFile: {policy}: $.roles[0]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ThePackagedExampleConfigurationAndPolicyAreValid()
    {
        var packaging = Path.Combine(Repository.Root, "packaging", "deb");
        var policy = Path.Combine(_dir, "policy.json");
        File.Copy(Path.Combine(packaging, "policy.json"), policy);
        var config = File.ReadAllText(Path.Combine(packaging, "config.json"))
            .Replace("/etc/ssh-hsm-ca/policy.json", policy, StringComparison.Ordinal);
        var (options, errors) = ConfigurationLoader.Load(Write("config.json", config));
        Assert.Empty(errors);
        Assert.Equal("token-pin", options!.UserCa!.PinCredential);
        Assert.Equal("/run/ssh-hsm-ca/ca.sock", options.UnixSocket!.Path);
    }

    /// <summary>Found by fuzzing (fuzz/Targets, config): a key given twice crashed the loader with an ArgumentException.</summary>
    [Fact]
    public void AKeyGivenTwiceIsAnErrorNamingTheFileNotACrash()
    {
        var config = Write("config.json", """
            { "userCa": { }, "hostCa": { "uri": "a" }, "hostCa": { "uri": "b" } }
            """);
        var (options, errors) = ConfigurationLoader.Load(config);
        Assert.Null(options);
        var error = Assert.Single(errors);
        Assert.StartsWith(config + ": ", error, StringComparison.Ordinal);
        Assert.Contains("hostCa", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SyntaxErrorsCountLinesAndColumnsFromOne()
    {
        var config = Write("config.json", "{\n  \"unixSocket\": { \"path\": \"/run/x\" },\n  \"policyFile\" \"p\"\n}\n");
        var (options, errors) = ConfigurationLoader.Load(config);
        Assert.Null(options);
        var error = Assert.Single(errors);
        Assert.Contains("(line 3, column 16)", error, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber: 2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MetricsMustStayOnLoopback()
    {
        var (_, errors) = ConfigurationLoader.Load(Write("config.json", """{ "metrics": { "address": "0.0.0.0", "port": 9464 } }"""));
        Assert.Contains(errors, e => e.StartsWith("$.metrics.address", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
