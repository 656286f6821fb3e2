using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Ca;

/// <summary>
/// <c>ca status</c>: every CA key with its state, the certificates it signed that are still
/// valid, and for a next key how many of the hosts (user CA) or users (host CA) that must trust
/// it have fetched a trust set holding it: the data a switch is decided on.
/// </summary>
internal static class CaStatusCommand
{
    public static Command Create(GlobalOptions global)
    {
        var jsonOption = GlobalOptions.Json();
        var command = new Command("status", "every CA key's state, its valid certificates, and who has fetched a next key (operators: the rotate right)") { jsonOption };
        command.SetAction(async (result, cancel) =>
        {
            var status = await global.Connection(result).CreateClient().GetCaStatusAsync(new GetCaStatusRequest(), cancellationToken: cancel).ConfigureAwait(false);
            if (result.GetValue(jsonOption))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    trustSetVersion = status.TrustSetVersion,
                    krlVersion = status.KrlVersion,
                    keys = status.Keys.Select(k => new
                    {
                        ca = k.Key.Ca == CaScope.User ? "user" : "host",
                        name = k.Key.Name,
                        state = StateName(k.Key.State),
                        fingerprint = k.Key.Fingerprint,
                        trusted = k.Key.Trusted,
                        location = k.Location,
                        available = k.Available,
                        validCertificates = k.ValidCertificates,
                        lastValidBefore = k.LastValidBefore,
                        publishedInVersion = k.PublishedInVersion,
                        publishedAt = k.PublishedAt,
                        partiesKnown = k.PartiesKnown,
                        partiesFetched = k.PartiesFetched,
                        partiesMissing = k.PartiesMissing,
                    }),
                })).ConfigureAwait(false);
                return 0;
            }

            await Console.Out.WriteAsync(Describe(status)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>"next", "active", "retired", "revoked".</summary>
    internal static string StateName(CaKeyState state) => state switch
    {
        CaKeyState.Next => "next",
        CaKeyState.Active => "active",
        CaKeyState.Retired => "retired",
        CaKeyState.Revoked => "revoked",
        _ => "unknown",
    };

    /// <summary>The status as an operator reads it.</summary>
    internal static string Describe(GetCaStatusResponse status)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"Trust set version {status.TrustSetVersion}, KRL version {status.KrlVersion}\n"));
        foreach (var ca in new[] { CaScope.User, CaScope.Host })
        {
            text.Append(ca == CaScope.User ? "User CA (trusted by hosts):\n" : "Host CA (trusted by users):\n");
            foreach (var key in status.Keys.Where(k => k.Key.Ca == ca))
            {
                text.Append(CultureInfo.InvariantCulture, $"  {key.Key.Name,-16} {StateName(key.Key.State),-8} {key.Key.Fingerprint}\n");
                if (key.Location.Length > 0)
                {
                    text.Append(CultureInfo.InvariantCulture, $"      {key.Location} ({(key.Available ? "available" : "UNAVAILABLE")})\n");
                }

                text.Append(CultureInfo.InvariantCulture, $"      valid certificates: {key.ValidCertificates}{(key.LastValidBefore > 0 ? $", the last expires {TimeText.Utc(key.LastValidBefore)}" : string.Empty)}\n");
                if (key.Key.State == CaKeyState.Retired && !key.Key.Trusted)
                {
                    text.Append("      no longer trusted (no valid certificate): it can be removed from the configuration\n");
                }

                if (key.Key.State == CaKeyState.Next)
                {
                    var who = ca == CaScope.User ? "hosts" : "users";
                    text.Append(CultureInfo.InvariantCulture, $"      published in trust set version {key.PublishedInVersion} ({TimeText.Utc(key.PublishedAt)}): {key.PartiesFetched} of {key.PartiesKnown} {who} have fetched it\n");
                    if (key.PartiesMissing.Count > 0)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"      not yet: {string.Join(", ", key.PartiesMissing)}{(key.PartiesKnown - key.PartiesFetched > (ulong)key.PartiesMissing.Count ? ", …" : string.Empty)}\n");
                    }
                }
            }
        }

        return text.ToString();
    }
}
