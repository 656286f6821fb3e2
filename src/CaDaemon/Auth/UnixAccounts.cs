namespace SshHsmCa.CaDaemon.Auth;

/// <summary>User and group names for a uid from /etc/passwd and /etc/group (local accounts: an appliance's operators).</summary>
internal static class UnixAccounts
{
    public static (string? User, string[] Groups, uint[] Gids) Lookup(uint uid, uint gid)
    {
        string? user = null;
        foreach (var line in ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 4 && uint.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out var u) && u == uid)
            {
                user = fields[0];
                break;
            }
        }

        var groups = new List<string>();
        var gids = new List<uint> { gid };
        foreach (var line in ReadLines("/etc/group"))
        {
            var fields = line.Split(':');
            if (fields.Length < 4 || !uint.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out var g))
            {
                continue;
            }

            if (g == gid || (user is not null && fields[3].Split(',').Contains(user, StringComparer.Ordinal)))
            {
                groups.Add(fields[0]);
                if (!gids.Contains(g))
                {
                    gids.Add(g);
                }
            }
        }

        return (user, [.. groups], [.. gids]);
    }

    private static IEnumerable<string> ReadLines(string path) => File.Exists(path) ? File.ReadLines(path) : [];
}
