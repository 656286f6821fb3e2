using System.Text.Json;
using SshHsmCa.CaDaemon.Hosting;

namespace SshHsmCa.CaDaemon;

/// <summary><c>ssh-hsm-cad [--config PATH] [--check-config]</c>.</summary>
public static class Program
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>Entry point.</summary>
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var path = "/etc/ssh-hsm-ca/config.json";
        var check = false;
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
                case "--help" or "-h":
                    await Console.Out.WriteLineAsync("usage: ssh-hsm-cad [--config PATH] [--check-config]\n  --config PATH    configuration file (default /etc/ssh-hsm-ca/config.json)\n  --check-config   print every configuration problem and exit (0: valid)").ConfigureAwait(false);
                    return 0;
                default:
                    await Console.Error.WriteLineAsync($"ssh-hsm-cad: unknown argument '{args[i]}' (try --help)").ConfigureAwait(false);
                    return 2;
            }
        }

        DaemonOptions options;
        try
        {
            options = JsonSerializer.Deserialize<DaemonOptions>(await File.ReadAllTextAsync(path).ConfigureAwait(false), Json) ?? new DaemonOptions();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-cad: {path}: {(e is JsonException j ? $"{j.Path}: {j.Message}" : e.Message)}").ConfigureAwait(false);
            return 1;
        }

        var errors = DaemonOptionsValidator.Validate(options);
        foreach (var error in errors)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-cad: {path}: {error}").ConfigureAwait(false);
        }

        if (check || errors.Count > 0)
        {
            return errors.Count > 0 ? 1 : 0;
        }

        try
        {
            var app = DaemonHost.Build(options, []);
            await using var disposeApp = app.ConfigureAwait(false);
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is Hsm.HsmException or Policy.PolicyLoadException or InvalidOperationException or IOException)
        {
            // Before READY=1: systemd sees the start fail, the operator sees why.
            await Console.Error.WriteLineAsync($"ssh-hsm-cad: not started: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
