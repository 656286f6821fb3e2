using System.Text.Json;
using System.Text.Json.Serialization;

namespace SshHsmCa.Cli;

/// <summary>
/// What <c>ssh-hsm-ca setup</c> wrote: where the CA is, its pinned TLS root, and the known_hosts
/// file ssh reads the @cert-authority line from. The user's file
/// (<c>$XDG_CONFIG_HOME/ssh-hsm-ca/config.json</c>, default <c>~/.config</c>) wins over the
/// system's (<c>/etc/ssh-hsm-ca/client.json</c>, for hosts); the environment and the command line win over both.
/// </summary>
internal sealed record ClientConfig
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    private static readonly Lazy<ClientConfig?> Loaded = new(Load);

    /// <summary>The CA's URL.</summary>
    public string? Server { get; init; }

    /// <summary>The pinned TLS root (PEM file).</summary>
    public string? ServerCa { get; init; }

    /// <summary>The known_hosts file holding the host CA's @cert-authority line (refreshed by login).</summary>
    public string? KnownHostsFile { get; init; }

    /// <summary>The CA's KRL for host certificates, which ssh reads through RevokedHostKeys (refreshed by login).</summary>
    public string? RevokedHostKeysFile { get; init; }

    /// <summary>The host pattern of that line.</summary>
    public string HostsPattern { get; init; } = "*";

    /// <summary>The configuration in force, or null when setup was never run.</summary>
    public static ClientConfig? Current => Loaded.Value;

    /// <summary>The user's configuration folder.</summary>
    public static string UserDirectory => Path.Combine(
        Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Home, ".config"), "ssh-hsm-ca");

    /// <summary>The system's configuration folder (hosts).</summary>
    public const string SystemDirectory = "/etc/ssh-hsm-ca";

    /// <summary>The user's home, as ssh finds it.</summary>
    public static string Home => Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    public static string UserFile => Path.Combine(UserDirectory, "config.json");

    public const string SystemFile = SystemDirectory + "/client.json";

    public string Serialize() => JsonSerializer.Serialize(this, Json) + "\n";

    private static ClientConfig? Load()
    {
        foreach (var file in new[] { UserFile, SystemFile })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            try
            {
                return JsonSerializer.Deserialize<ClientConfig>(CliFiles.ReadText(file), Json);
            }
            catch (JsonException e)
            {
                throw new IOException($"{file}: {e.Message} (run ssh-hsm-ca setup again)", e);
            }
        }

        return null;
    }
}
