using System.Text.Json;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli;

/// <summary>
/// Where the keys login adds may be used (issue 30): the policy's hops, encoded as ssh-agent's
/// destination constraint with the CA's host keys (is_ca), described for the user, and
/// remembered (the agent does not list constraints) so <c>ssh-hsm-ca agent</c> can show them.
/// </summary>
internal static class AgentDestinations
{
    private const int MaxRemembered = 64;

    /// <summary>The hops of a restriction, or none.</summary>
    public static IReadOnlyList<(string From, string To)> Hops(AgentRestriction? restriction) =>
        restriction is null ? [] : [.. restriction.Hops.Select(h => (h.FromHost, h.ToHost))];

    /// <summary>ssh-add's own options for the same hops (<c>-H FILE -h HOST -h FROM&gt;TO</c>), with the host CA keys in <paramref name="knownHosts"/>.</summary>
    public static IReadOnlyList<string> SshAddArguments(IReadOnlyList<(string From, string To)> hops, string knownHosts) =>
        ["-H", knownHosts, .. hops.SelectMany(h => new[] { "-h", h.From.Length == 0 ? h.To : h.From + ">" + h.To })];

    /// <summary>
    /// Adds with the constraint (<paramref name="add"/> gets the hops to enforce); when the agent
    /// refuses it, fails unless the policy allows an unrestricted key, which is then added with
    /// no hops and a warning. Never silently unrestricted. Returns the hops in force.
    /// </summary>
    public static IReadOnlyList<(string From, string To)> Add(Action<IReadOnlyList<(string From, string To)>> add, IReadOnlyList<(string From, string To)> hops, bool allowUnrestricted, TextWriter warnings)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(warnings);
        try
        {
            add(hops);
            return hops;
        }
        catch (AgentRefusedException e) when (hops.Count > 0)
        {
            if (!allowUnrestricted)
            {
                throw new IOException($"{e.Message}. The policy restricts where this key may be used (restrict-destination-v00@openssh.com) and this ssh-agent cannot enforce it; OpenSSH's ssh-agent can since 8.9. Nothing was added to the agent.", e);
            }

            warnings.WriteLine($"ssh-hsm-ca: warning: {e.Message}; the key is in ssh-agent WITHOUT destination restriction, as the policy allows for agents that cannot enforce it.");
            add([]);
            return [];
        }
    }

    /// <summary>For people: where the key may be used.</summary>
    public static string Describe(IReadOnlyList<(string From, string To)> hops)
    {
        if (hops.Count == 0)
        {
            return "  usable for:  any host (no agent destination constraint)";
        }

        var lines = hops.GroupBy(h => h.From, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
            (g.Key.Length == 0 ? "  usable for:  " : $"  through {g.Key}: ") + string.Join(", ", g.Select(h => h.To)));
        return string.Join('\n', lines) + "\n  (hosts must show a certificate from this CA naming them; local programs that use the agent directly are not restricted)";
    }

    /// <summary>Remembers the hops of an identity login added, by its SHA256 fingerprint, until it expires.</summary>
    public static void Remember(string fingerprint, IReadOnlyList<(string From, string To)> hops, ulong expires)
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var remembered = Recall().Where(e => e.Expires > now && !string.Equals(e.Fingerprint, fingerprint, StringComparison.Ordinal)).Take(MaxRemembered - 1).ToList();
        remembered.Insert(0, new Entry(fingerprint, [.. hops.Select(h => new[] { h.From, h.To })], expires));
        Directory.CreateDirectory(ClientConfig.UserDirectory);
        FileOutput.WriteAtomically(File, JsonSerializer.Serialize(remembered), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>What was remembered (nothing when the file is absent or unreadable).</summary>
    public static IReadOnlyList<Entry> Recall()
    {
        try
        {
            return System.IO.File.Exists(File) ? JsonSerializer.Deserialize<List<Entry>>(CliFiles.ReadText(File, 256 * 1024)) ?? [] : [];
        }
        catch (Exception e) when (e is JsonException or IOException or UsageException)
        {
            return [];
        }
    }

    private static string File => Path.Combine(ClientConfig.UserDirectory, "agent-destinations.json");

    /// <summary>One remembered identity: its fingerprint, its hops ([from, to]) and when it expires.</summary>
    internal sealed record Entry(string Fingerprint, string[][] Hops, ulong Expires)
    {
        public IReadOnlyList<(string From, string To)> HopList => [.. Hops.Where(h => h.Length == 2).Select(h => (h[0], h[1]))];
    }
}
