using SshHsmCa.CaDaemon.Hosting;

namespace SshHsmCa.CaDaemon;

/// <summary><c>ssh-hsm-cad [--config PATH] [--check-config]</c>.</summary>
internal static class Program
{
    /// <summary>The package version and the commit it was built from (the assembly's informational version).</summary>
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false) is [System.Reflection.AssemblyInformationalVersionAttribute attribute] ? attribute.InformationalVersion : "unknown";

    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var path = "/etc/ssh-hsm-ca/config.json";
        var check = false;
        string? dev = null;
        var devPort = 18443;
        string? devIssuer = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Length:
                    path = args[++i];
                    break;
                case "--check-config":
                    check = true;
                    break;
                case "--dev" when i + 1 < args.Length:
                    dev = args[++i];
                    break;
                case "--dev-port" when i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var p):
                    devPort = p;
                    i++;
                    break;
                case "--dev-oidc-issuer" when i + 1 < args.Length:
                    devIssuer = args[++i];
                    break;
                case "--version":
                    await Console.Out.WriteLineAsync("ssh-hsm-cad " + Version).ConfigureAwait(false);
                    return 0;
                case "--help" or "-h":
                    await Console.Out.WriteLineAsync("usage: ssh-hsm-cad [--config PATH] [--check-config] | --dev DIR [--dev-port N] [--dev-oidc-issuer URL] | --version\n  --config PATH    configuration file (default /etc/ssh-hsm-ca/config.json)\n  --check-config   print every configuration problem and exit (0: valid)\n  --dev DIR        development CA in DIR: a SoftHSM2 token, keys and TLS made on first run (never for production)\n  --dev-port N     the development TLS port (default 18443; applies at every start)\n  (--dev rewrites DIR/policy.json at every start: keep your own policy elsewhere and name it in DIR/conf.d)\n  --dev-oidc-issuer URL  SSO login with a loopback development identity provider (ssh-hsm-ca-dev-idp)").ConfigureAwait(false);
                    return 0;
                default:
                    await Console.Error.WriteLineAsync($"ssh-hsm-cad: unknown argument '{args[i]}' (try --help)").ConfigureAwait(false);
                    return 2;
            }
        }

        if (dev is not null)
        {
            try
            {
                path = DevEnvironment.Prepare(dev, devPort, devIssuer);
            }
            catch (Exception e) when (e is Hsm.HsmException or IOException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"ssh-hsm-cad: development CA in {dev}: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }

        var (options, errors) = ConfigurationLoader.Load(path);
        foreach (var error in errors)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-cad: {error}").ConfigureAwait(false);
        }

        if (check || errors.Count > 0)
        {
            if (errors.Count == 0)
            {
                await Console.Out.WriteAsync(ConfigurationSummary.Describe(path, options!)).ConfigureAwait(false);
            }

            return errors.Count > 0 ? 1 : 0;
        }

        try
        {
            var app = DaemonHost.Build(options!, []);
            await using var disposeApp = app.ConfigureAwait(false);
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is Hsm.HsmException or Policy.PolicyLoadException or InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            // Before READY=1: systemd sees the start fail, the operator sees why.
            await Console.Error.WriteLineAsync($"ssh-hsm-cad: not started: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
