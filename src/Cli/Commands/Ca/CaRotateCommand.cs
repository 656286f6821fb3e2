using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli.Commands.Ca;

/// <summary>
/// <c>ca rotate --user|--host</c>, on the appliance: steps a CA's key set through a rotation by
/// writing key states to <c>conf.d/90-ca-rotation.json</c> beside the configuration and asking
/// the daemon to reload (ReloadConfiguration: checked like a start; on a refusal the file is put
/// back as it was). The phases: <c>--add</c> publishes a new key as next; <c>--promote</c> makes it
/// active and retires the old one, once every host (user CA) or user (host CA) known to hold a
/// certificate has fetched a trust set with it (or <c>--force</c>); the retired key leaves the
/// trust set by itself when its last certificate expires. <c>--rollback</c> undoes the last step;
/// <c>--emergency</c> revokes the active key and promotes the next at once.
/// </summary>
internal static class CaRotateCommand
{
    /// <summary>The file this command owns in conf.d (read after the operator's own files).</summary>
    public const string FileName = "90-ca-rotation.json";

    public static Command Create(GlobalOptions global)
    {
        var user = new Option<bool>("--user") { Description = "rotate the user CA (the key hosts trust)" };
        var host = new Option<bool>("--host") { Description = "rotate the host CA (the key users trust)" };
        var config = new Option<string>("--config") { Description = "the daemon's configuration file (conf.d is beside it)", HelpName = "FILE", DefaultValueFactory = _ => "/etc/ssh-hsm-ca/config.json" };
        var add = new Option<string?>("--add") { Description = "phase 1: publish a new key as next, under this name", HelpName = "NAME" };
        var uri = new Option<string?>("--uri") { Description = "with --add: the key's pkcs11: or piv: URI", HelpName = "URI" };
        var publicKey = new Option<string?>("--public-key") { Description = "with --add: the key's OpenSSH public key file (the daemon refuses another key)", HelpName = "FILE.pub" };
        var pinFile = new Option<string?>("--pin-file") { Description = "with --add: a root-only file holding the key's PIN", HelpName = "FILE" };
        var pinCredential = new Option<string?>("--pin-credential") { Description = "with --add: the systemd credential holding the key's PIN", HelpName = "NAME" };
        var promote = new Option<bool>("--promote") { Description = "phase 2: the next key signs, the active key is retired" };
        var force = new Option<bool>("--force") { Description = "with --promote: even though some hosts or users have not fetched the next key" };
        var rollback = new Option<bool>("--rollback") { Description = "undo the last step (withdraw a next key, or return to the retired key)" };
        var to = new Option<string?>("--to") { Description = "with --rollback: the retired key to return to, when there are several", HelpName = "NAME" };
        var emergency = new Option<bool>("--emergency") { Description = "revoke the active key and promote the next at once (a compromised key)" };
        var reason = new Option<string?>("--reason") { Description = "with --emergency: why, recorded with the revocation", HelpName = "TEXT" };
        var command = new Command("rotate", "step a CA's keys through a rotation: --add, --promote, --rollback, --emergency (on the appliance; operators: the rotate right)")
        {
            user, host, config, add, uri, publicKey, pinFile, pinCredential, promote, force, rollback, to, emergency, reason,
        };
        command.SetAction(async (result, cancel) =>
        {
            if (result.GetValue(user) == result.GetValue(host))
            {
                throw new UsageException("ca rotate needs exactly one of --user and --host");
            }

            var isUser = result.GetValue(user);
            var actions = new[] { result.GetValue(add) is not null, result.GetValue(promote), result.GetValue(rollback), result.GetValue(emergency) }.Count(a => a);
            if (actions > 1)
            {
                throw new UsageException("ca rotate takes one of --add, --promote, --rollback and --emergency");
            }

            var client = global.Connection(result).CreateClient();
            var status = await client.GetCaStatusAsync(new GetCaStatusRequest(), cancellationToken: cancel).ConfigureAwait(false);
            var scope = isUser ? CaScope.User : CaScope.Host;
            var keys = status.Keys.Where(k => k.Key.Ca == scope).ToList();
            if (actions == 0)
            {
                await Console.Out.WriteAsync(Phase(keys, isUser)).ConfigureAwait(false);
                return 0;
            }

            var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(result.GetValue(config)!))!, "conf.d", FileName);
            var previous = File.Exists(path) ? CliFiles.ReadText(path) : null;
            var document = previous is null ? [] : JsonNode.Parse(previous) as JsonObject ?? throw new IOException($"{path}: not a JSON object; fix or remove it");
            var section = isUser ? "userCaKeys" : "hostCaKeys";
            var set = document[section] as JsonObject ?? [];
            document[section] = set;
            RotationPlan.RotationStep step;
            if (result.GetValue(add) is { } name)
            {
                var keyUri = result.GetValue(uri) ?? throw new UsageException("--add needs --uri (the new key's pkcs11: or piv: URI)");
                var keyFile = result.GetValue(publicKey) ?? throw new UsageException("--add needs --public-key (the new key's OpenSSH public key file)");
                var line = SshPublicKey.ParseLine(CliFiles.ReadText(keyFile).Trim()).ToOpenSshLine();
                var file = result.GetValue(pinFile) is { } f ? Path.GetFullPath(f) : null;
                step = new RotationPlan.RotationStep(RotationPlan.RotationAction.Add, new RotationPlan.NewKey(name, keyUri, line, file, result.GetValue(pinCredential)));
            }
            else
            {
                step = result.GetValue(promote) ? new RotationPlan.RotationStep(RotationPlan.RotationAction.Promote, Force: result.GetValue(force))
                    : result.GetValue(rollback) ? new RotationPlan.RotationStep(RotationPlan.RotationAction.Rollback, To: result.GetValue(to))
                    : new RotationPlan.RotationStep(RotationPlan.RotationAction.Emergency, Reason: result.GetValue(reason));
            }

            var planned = RotationPlan.Apply(set, keys, isUser, step);
            if (planned.Done is not { } done)
            {
                await Console.Error.WriteLineAsync("ssh-hsm-ca: " + planned.NotReady).ConfigureAwait(false);
                return 1;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            FileOutput.WriteAtomically(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", FileOutput.PublicMode);
            ReloadConfigurationResponse reloaded;
            try
            {
                reloaded = await client.ReloadConfigurationAsync(new ReloadConfigurationRequest(), cancellationToken: cancel).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                if (previous is null)
                {
                    File.Delete(path);
                }
                else
                {
                    FileOutput.WriteAtomically(path, previous, FileOutput.PublicMode);
                }

                await Console.Error.WriteLineAsync($"ssh-hsm-ca: the daemon refused the change; {path} is back as it was").ConfigureAwait(false);
                throw;
            }

            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{done}.\nTrust set version {reloaded.TrustSetVersion}; the {(isUser ? "user" : "host")} CA's keys:")).ConfigureAwait(false);
            foreach (var key in reloaded.Keys.Where(k => k.Ca == scope))
            {
                await Console.Out.WriteLineAsync($"  {key.Name,-16} {CaStatusCommand.StateName(key.State),-8} {key.Fingerprint}").ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>Where a CA stands and the step after it.</summary>
    private static string Phase(List<CaKeyStatus> keys, bool isUser)
    {
        var flag = isUser ? "--user" : "--host";
        var active = keys.Single(k => k.Key.State == CaKeyState.Active);
        var next = keys.FirstOrDefault(k => k.Key.State == CaKeyState.Next);
        var retired = keys.Where(k => k.Key.State == CaKeyState.Retired && k.Key.Trusted).ToList();
        if (next is not null)
        {
            var who = isUser ? "hosts" : "users";
            return next.PartiesFetched < next.PartiesKnown
                ? $"Phase 1 of 3: {next.Key.Name} is published as next; {next.PartiesFetched} of {next.PartiesKnown} {who} have fetched it (missing: {string.Join(", ", next.PartiesMissing)}).\nWhen they all have: ssh-hsm-ca ca rotate {flag} --promote (to withdraw it: --rollback).\n"
                : $"Phase 1 of 3: {next.Key.Name} is published as next and every known {(isUser ? "host" : "user")} ({next.PartiesKnown}) has fetched it.\nNext: ssh-hsm-ca ca rotate {flag} --promote\n";
        }

        if (retired.Count > 0)
        {
            return $"Phase 2 of 3: {active.Key.Name} signs; {string.Join(", ", retired.Select(r => $"{r.Key.Name} is retired and trusted until {TimeText.Utc(r.LastValidBefore)}"))}.\nNothing to do: a retired key leaves the trust set when its last certificate expires (phase 3). To go back: ssh-hsm-ca ca rotate {flag} --rollback\n";
        }

        return $"Steady: {active.Key.Name} signs and no rotation is under way.\nTo rotate: make a new key on its device, then ssh-hsm-ca ca rotate {flag} --add NAME --uri URI --public-key FILE.pub --pin-credential NAME\n";
    }
}
