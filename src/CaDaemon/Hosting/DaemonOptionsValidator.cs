using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.CaDaemon.Keys;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>Checks a configuration and names the JSON path of every problem.</summary>
internal static class DaemonOptionsValidator
{
    /// <summary>Every problem, as "path: problem".</summary>
    public static IReadOnlyList<string> Validate(DaemonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Tls is null && options.UnixSocket is null)
        {
            errors.Add("$: configure tls, unixSocket or both: otherwise nobody can reach the CA");
        }

        if (options.Oidc is { } oidc)
        {
            CheckOidc(oidc, errors);
        }

        if (options.Tls is { } tls)
        {
            if (string.IsNullOrEmpty(tls.CertificateFile) || !File.Exists(tls.CertificateFile))
            {
                errors.Add($"$.tls.certificateFile: '{tls.CertificateFile}' does not exist");
            }

            if (string.IsNullOrEmpty(tls.KeyFile) || !File.Exists(tls.KeyFile))
            {
                errors.Add($"$.tls.keyFile: '{tls.KeyFile}' does not exist");
            }

            if (string.IsNullOrEmpty(tls.ClientCaFile) || !File.Exists(tls.ClientCaFile))
            {
                errors.Add($"$.tls.clientCaFile: '{tls.ClientCaFile}' does not exist (client certificates are required and checked against it)");
            }

            if (!System.Net.IPAddress.TryParse(tls.Address, out _))
            {
                errors.Add($"$.tls.address: '{tls.Address}' is not an IP address");
            }

            if (tls.Port is < 1 or > 65535)
            {
                errors.Add($"$.tls.port: {tls.Port} is not a port");
            }
        }

        if (options.RateLimits is null)
        {
            errors.Add("$.rateLimits: must not be null (leave it out for the defaults)");
        }
        else
        {
            foreach (var (name, value, max) in new[]
            {
                ("anonymousPerSecond", options.RateLimits.AnonymousPerSecond, 1_000_000),
                ("anonymousBurst", options.RateLimits.AnonymousBurst, 1_000_000),
                ("failuresPerMinute", options.RateLimits.FailuresPerMinute, 1_000_000),
                ("failuresBurst", options.RateLimits.FailuresBurst, 1_000_000),
            })
            {
                if (value < 1 || value > max)
                {
                    errors.Add($"$.rateLimits.{name}: {value} is outside 1..{max}");
                }
            }
        }

        if (options.KeyUnavailableRestartSeconds is < 0 or > 86_400)
        {
            errors.Add($"$.keyUnavailableRestartSeconds: {options.KeyUnavailableRestartSeconds} is outside 0..86400 (0: never restart)");
        }

        if (options.UnixSocket is { } socket)
        {
            if (string.IsNullOrEmpty(socket.Path) || !Path.IsPathRooted(socket.Path))
            {
                errors.Add("$.unixSocket.path: an absolute path is required");
            }

            if (!IsOctalMode(socket.Mode))
            {
                errors.Add($"$.unixSocket.mode: '{socket.Mode}' is not an octal mode like 0660");
            }
        }

        if (options.SecurityKeys is { } securityKeys)
        {
            if (securityKeys.ChallengeSeconds is < 30 or > 3600)
            {
                errors.Add($"$.securityKeys.challengeSeconds: {securityKeys.ChallengeSeconds} is not between 30 and 3600");
            }

            foreach (var (field, path) in new[] { ("attestationRoots", securityKeys.AttestationRoots), ("attestationIntermediates", securityKeys.AttestationIntermediates) })
            {
                if (path is not null && !File.Exists(path))
                {
                    errors.Add($"$.securityKeys.{field}: {path} does not exist");
                }
            }
        }

        if (options.Publish is { } publish)
        {
            if (options.Tls is null)
            {
                errors.Add("$.publish: needs the tls section (its certificate serves the KRL over HTTPS)");
            }

            if (!System.Net.IPAddress.TryParse(publish.Address, out _))
            {
                errors.Add($"$.publish.address: '{publish.Address}' is not an IP address");
            }

            if (publish.Port is < 1 or > 65535 || publish.Port == options.Tls?.Port || publish.Port == options.Metrics?.Port)
            {
                errors.Add($"$.publish.port: {publish.Port} is not a free port of its own");
            }
        }

        if (options.Metrics is { } metrics)
        {
            if (!System.Net.IPAddress.TryParse(metrics.Address, out var address) || !System.Net.IPAddress.IsLoopback(address))
            {
                errors.Add($"$.metrics.address: '{metrics.Address}' must be a loopback address (metrics are unauthenticated)");
            }

            if (metrics.Port is < 1 or > 65535 || metrics.Port == options.Tls?.Port)
            {
                errors.Add($"$.metrics.port: {metrics.Port} is not a free port of its own");
            }
        }

        if (options.Piv is { } piv)
        {
            if (piv.ManagementKeyFile is not null && piv.ManagementKeyCredential is not null)
            {
                errors.Add("$.piv: at most one of managementKeyFile and managementKeyCredential");
            }

            if (piv.AttestationRootsFile is not null && !File.Exists(piv.AttestationRootsFile))
            {
                errors.Add($"$.piv.attestationRootsFile: '{piv.AttestationRootsFile}' does not exist");
            }
        }

        CheckKeySet(options, user: true, errors);
        CheckKeySet(options, user: false, errors);
        if (string.IsNullOrEmpty(options.PolicyFile) || !File.Exists(options.PolicyFile))
        {
            errors.Add($"$.policyFile: '{options.PolicyFile}' does not exist");
        }
        else
        {
            CheckPolicy(options.PolicyFile, errors);
        }

        if (options.ApplianceName is { } appliance && (appliance.Length is 0 or > 64 || !appliance.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            errors.Add("$.applianceName: 1 to 64 letters, digits, '-', '_' or '.'");
        }

        if (options.Log is { } log)
        {
            CheckLog(log, errors);
        }

        if (options.Postgres is { } postgres)
        {
            CheckPostgres(postgres, errors);
        }
        else if (string.IsNullOrEmpty(options.AuditDatabase) || !Path.IsPathRooted(options.AuditDatabase))
        {
            errors.Add("$.auditDatabase: an absolute path is required");
        }

        return errors;
    }

    private static void CheckLog(Transparency.LogOptions log, List<string> errors)
    {
        static bool IsName(string? name) => name is { Length: > 0 and <= 128 } && name.All(c => c > ' ' && c != '+' && c < 0x7f);
        if (!IsName(log.Origin))
        {
            errors.Add($"$.log.origin: '{log.Origin}' is not a log origin (1 to 128 printable ASCII characters, no spaces or '+'), e.g. ca.example.com/ssh-hsm-ca");
        }

        if (log.SignerName is not null && !IsName(log.SignerName))
        {
            errors.Add($"$.log.signerName: '{log.SignerName}' is not a note signer's name (1 to 128 printable ASCII characters, no spaces or '+')");
        }

        if (log.CheckpointSeconds is < 1 or > 86_400)
        {
            errors.Add($"$.log.checkpointSeconds: {log.CheckpointSeconds} is not between 1 and 86400");
        }

        if (log.Key is { } key)
        {
            Check(key, "$.log.key", errors);
        }
    }

    private static void CheckPolicy(string file, List<string> errors)
    {
        try
        {
            _ = Policy.SshPolicy.Load(File.ReadAllText(file));
        }
        catch (Policy.PolicyLoadException e)
        {
            errors.AddRange(e.Errors.Select(error => $"$.policyFile: {file}: {error}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"$.policyFile: {file}: {e.Message}");
        }
    }

    private static void CheckOidc(OidcOptions oidc, List<string> errors)
    {
        if (!Uri.TryCreate(oidc.Issuer, UriKind.Absolute, out var issuer))
        {
            errors.Add("$.oidc.issuer: an absolute URL is required");
        }
        else if (issuer.Scheme != Uri.UriSchemeHttps && !(oidc.AllowLoopbackHttp && issuer.Scheme == Uri.UriSchemeHttp && issuer.IsLoopback))
        {
            errors.Add($"$.oidc.issuer: '{oidc.Issuer}' must be https (http only on loopback with allowLoopbackHttp, for development)");
        }

        if (string.IsNullOrWhiteSpace(oidc.ClientId))
        {
            errors.Add("$.oidc.clientId: required (the audience of the ID tokens)");
        }

        if (oidc.Algorithms.Count == 0 || oidc.Algorithms.Any(a => a is not ("RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512" or "ES256" or "ES384" or "ES512")))
        {
            errors.Add("$.oidc.algorithms: a non-empty list of RS256/384/512, PS256/384/512, ES256/384/512 (no 'none', no HMAC)");
        }

        if (oidc.ClockSkewSeconds is < 0 or > 300)
        {
            errors.Add($"$.oidc.clockSkewSeconds: {oidc.ClockSkewSeconds} is outside 0..300");
        }

        if (oidc.JwksFile is not null && !File.Exists(oidc.JwksFile))
        {
            errors.Add($"$.oidc.jwksFile: '{oidc.JwksFile}' does not exist");
        }

        if (!oidc.Scopes.Contains("openid", StringComparer.Ordinal))
        {
            errors.Add("$.oidc.scopes: must include 'openid'");
        }
    }

    /// <summary>Parses an octal mode such as 0660.</summary>
    private static void CheckPostgres(PostgresOptions postgres, List<string> errors)
    {
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(postgres.ConnectionString ?? string.Empty);
            if (string.IsNullOrEmpty(builder.Host) || string.IsNullOrEmpty(builder.Database) || string.IsNullOrEmpty(builder.Username))
            {
                errors.Add("$.postgres.connectionString: Host, Database and Username are required");
            }

            if (!string.IsNullOrEmpty(builder.Password) || !string.IsNullOrEmpty(builder.Passfile))
            {
                errors.Add("$.postgres.connectionString: no password here; use passwordCredential or passwordFile");
            }
        }
        catch (ArgumentException e)
        {
            // Npgsql's message names the keyword, never a value.
            errors.Add($"$.postgres.connectionString: {e.Message}");
        }

        if (postgres.PasswordCredential is not null && postgres.PasswordFile is not null)
        {
            errors.Add("$.postgres: at most one of passwordCredential and passwordFile");
        }
    }

    public static bool IsOctalMode(string? mode) =>
        mode is { Length: >= 3 and <= 4 } && mode.All(c => c is >= '0' and <= '7');

    private static void CheckKeySet(DaemonOptions options, bool user, List<string> errors)
    {
        var single = user ? "userCa" : "hostCa";
        var named = user ? "userCaKeys" : "hostCaKeys";
        var keys = options.KeysOf(user);
        if (keys.Count == 0)
        {
            errors.Add($"$.{single}: required (or $.{named} with one active key)");
            return;
        }

        var active = 0;
        foreach (var (name, key) in keys)
        {
            var path = (user ? options.UserCaKeys : options.HostCaKeys)?.ContainsKey(name) == true ? $"$.{named}.{name}" : $"$.{single}";
            if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                errors.Add($"{path}: a key name is 1 to 64 letters, digits, '-', '_' or '.'");
            }

            if (key is null)
            {
                errors.Add($"{path}: a key section is required");
                continue;
            }

            var state = key.State is null ? Ssh.Trust.CaKeyState.Active : Ssh.Trust.TrustSet.ParseState(key.State);
            if (state is null)
            {
                errors.Add($"{path}.state: '{key.State}' is not next, active, retired or revoked");
                continue;
            }

            active += state == Ssh.Trust.CaKeyState.Active ? 1 : 0;
            if (state is Ssh.Trust.CaKeyState.Retired or Ssh.Trust.CaKeyState.Revoked)
            {
                // Its public key: expectedPublicKey, or the key open under this name until the reload (checked by the loader).
                continue;
            }

            Check(key, path, errors);
        }

        if (active != 1)
        {
            errors.Add($"$.{named}: exactly one key must be active, {active} are");
        }
    }

    private static void Check(CaKeyOptions key, string path, List<string> errors)
    {
        // The backend's own rules (which URI schemes, which settings) are the key factory's.
        foreach (var (field, problem) in Hsm.CaKeys.Check(key.Uri, (key.Pkcs11 is not null, key.Pkcs11?.PoolSize), (key.Piv is not null, key.Piv?.TouchTimeoutSeconds ?? 30)))
        {
            errors.Add($"{path}.{field}: {problem}");
        }

        if ((key.PinFile is null) == (key.PinCredential is null))
        {
            errors.Add($"{path}: exactly one of pinFile and pinCredential is required");
        }
    }
}
