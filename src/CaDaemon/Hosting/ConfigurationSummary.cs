using System.Globalization;
using System.Text;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// What <c>ssh-hsm-cad --check-config</c> says when the configuration is valid: which files it
/// read, what they configure, and what it did not check (the CA keys on their devices, the
/// database, the identity provider), so that silence is never taken for more than it is.
/// </summary>
internal static class ConfigurationSummary
{
    /// <summary>The summary of a valid configuration read from <paramref name="path"/>.</summary>
    public static string Describe(string path, DaemonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var text = new StringBuilder();
        var merged = ConfigurationLoader.ConfDFiles(path);
        Line(text, $"{path}{(merged.Count > 0 ? " with " + string.Join(", ", merged.Select(Path.GetFileName)) : string.Empty)}: valid");
        Line(text, $"  policy:   {options.PolicyFile} (parsed and compiled)");
        foreach (var user in new[] { true, false })
        {
            foreach (var (name, key) in options.KeysOf(user))
            {
                Line(text, $"  {(user ? "user" : "host")} CA key {name}: {key.State ?? "active"}, {key.Uri ?? key.ExpectedPublicKey}");
            }
        }

        if (options.Tls is { } tls)
        {
            Line(text, $"  TLS:      {tls.Address}:{tls.Port} (client certificates {(tls.RequireClientCertificate ? "required" : "optional")})");
        }

        if (options.UnixSocket is { } socket)
        {
            Line(text, $"  socket:   {socket.Path} (mode {socket.Mode})");
        }

        if (options.Publish is { } publish)
        {
            Line(text, $"  publish:  {publish.Address}:{publish.Port} (the KRL{(options.Log?.Key is null ? string.Empty : " and the issuance log's checkpoint and tiles")} over HTTPS)");
        }

        if (options.Metrics is { } metrics)
        {
            Line(text, $"  metrics:  {metrics.Address}:{metrics.Port}");
        }

        if (options.SecurityKeys?.AttestationRoots is { } roots)
        {
            Line(text, $"  security keys: enrollment with attestation roots {roots}");
        }

        if (options.Oidc is { } oidc)
        {
            Line(text, $"  SSO:      {oidc.Issuer} (audience {oidc.ClientId})");
        }

        Line(text, options.Log is { Key: { } logKey } log
            ? $"  log:      {log.Origin}, checkpoints signed by {log.SignerName ?? log.Origin} with {logKey.Uri} at most every {log.CheckpointSeconds} s"
            : "  log:      every certificate has its leaf; checkpoints are not signed (no log.key: docs/audit-log.md)");
        Line(text, options.Postgres is not null ? "  store:    PostgreSQL (postgres.connectionString)" : $"  store:    SQLite {options.AuditDatabase}");
        Line(text, "Not checked: the CA keys on their devices (token, slot, PIN, expected public key; the log key too), the audit store's");
        Line(text, "database, the identity provider and the TLS files' contents; the daemon checks those at start, before READY=1.");
        return text.ToString();
    }

    private static void Line(StringBuilder text, string line) => text.Append(CultureInfo.InvariantCulture, $"{line}\n");
}
