using System.Text.Json.Nodes;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli;

/// <summary>
/// The rotation state machine of <c>ca rotate</c>, pure: given a CA's keys as the daemon reports
/// them and the key states <c>conf.d/90-ca-rotation.json</c> holds for that CA, one step changes
/// those states (the command then writes the file and asks the daemon to reload it).
/// <list type="bullet">
/// <item><see cref="RotationAction.Add"/>: a new key as next (none may be next already);</item>
/// <item><see cref="RotationAction.Promote"/>: next → active, active → retired, once every party
/// known to hold a certificate has fetched a trust set with the next key (or forced);</item>
/// <item><see cref="RotationAction.Rollback"/>: withdraw the next key this command added, or return
/// to the one trusted retired key (the active one becomes next, so what it signed keeps working);</item>
/// <item><see cref="RotationAction.Emergency"/>: next → active, active → revoked, with a reason.</item>
/// </list>
/// </summary>
internal static class RotationPlan
{
    /// <summary>Applies <paramref name="step"/> to <paramref name="states"/> (the CA's section of the rotation file).</summary>
    /// <returns>What was done, in a sentence; or, for a promotion the fleet is not ready for, why not (nothing changed).</returns>
    /// <exception cref="UsageException">The step does not apply to these keys.</exception>
    public static Result Apply(JsonObject states, IReadOnlyList<CaKeyStatus> keys, bool isUser, RotationStep step)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(step);
        var next = keys.FirstOrDefault(k => k.Key.State == CaKeyState.Next);
        var active = keys.Single(k => k.Key.State == CaKeyState.Active);
        return step.Action switch
        {
            RotationAction.Add => Add(states, keys, next, isUser, step.NewKey ?? throw new UsageException("--add needs a key")),
            RotationAction.Promote => Promote(states, next, active, isUser, step.Force),
            RotationAction.Rollback => Rollback(states, keys, next, active, step.To),
            _ => Emergency(states, next, active, step.Reason),
        };
    }

    private static Result Add(JsonObject states, IReadOnlyList<CaKeyStatus> keys, CaKeyStatus? next, bool isUser, NewKey key)
    {
        if (next is not null)
        {
            throw new UsageException($"{next.Key.Name} is already the next key: promote it (--promote) or withdraw it (--rollback) first");
        }

        var name = key.Name;
        if (keys.Any(k => k.Key.Name == name) || name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new UsageException($"--add: '{name}' is taken or not a key name (1 to 64 letters, digits, '-', '_', '.')");
        }

        var entry = new JsonObject { ["state"] = "next", ["uri"] = key.Uri, ["expectedPublicKey"] = key.PublicKeyLine };
        switch (key.PinFile, key.PinCredential)
        {
            case ({ } file, null):
                entry["pinFile"] = file;
                break;
            case (null, { } credential):
                entry["pinCredential"] = credential;
                break;
            default:
                throw new UsageException("--add needs exactly one of --pin-file and --pin-credential");
        }

        states[name] = entry;
        return new Result($"{name} is published as the next {(isUser ? "user" : "host")} CA key", null);
    }

    private static Result Promote(JsonObject states, CaKeyStatus? next, CaKeyStatus active, bool isUser, bool force)
    {
        if (next is null)
        {
            throw new UsageException("there is no next key to promote: add one first (--add)");
        }

        if (next.PartiesFetched < next.PartiesKnown && !force)
        {
            return new Result(null, $"not promoting {next.Key.Name}: {next.PartiesKnown - next.PartiesFetched} of {next.PartiesKnown} {(isUser ? "hosts" : "users")} have not fetched a trust set holding it ({string.Join(", ", next.PartiesMissing)}); {(isUser ? "run ssh-hsm-ca host renew on them (the renewal timer does)" : "they get it at their next ssh-hsm-ca login")}, or use --force");
        }

        SetState(states, next.Key.Name, "active");
        SetState(states, active.Key.Name, "retired");
        return new Result($"{next.Key.Name} signs now; {active.Key.Name} is retired and trusted until its last certificate expires", null);
    }

    private static Result Rollback(JsonObject states, IReadOnlyList<CaKeyStatus> keys, CaKeyStatus? next, CaKeyStatus active, string? to)
    {
        if (next is not null)
        {
            if (states[next.Key.Name] is not JsonObject ours || ours["uri"] is null)
            {
                throw new UsageException($"{next.Key.Name} is defined in the configuration itself, not by ca rotate: remove it there and reload");
            }

            states.Remove(next.Key.Name);
            return new Result($"{next.Key.Name} is withdrawn; {active.Key.Name} signs as before", null);
        }

        var retired = keys.Where(k => k.Key.State == CaKeyState.Retired && k.Key.Trusted && (to is null || k.Key.Name == to)).ToList();
        if (retired.Count != 1)
        {
            throw new UsageException(retired.Count == 0 ? "nothing to roll back to: no retired key is still trusted" : $"several retired keys are trusted ({string.Join(", ", retired.Select(k => k.Key.Name))}): say which with --to");
        }

        SetState(states, retired[0].Key.Name, "active");
        SetState(states, active.Key.Name, "next");
        return new Result($"{retired[0].Key.Name} signs again; {active.Key.Name} is next again (still trusted: what it signed keeps working)", null);
    }

    private static Result Emergency(JsonObject states, CaKeyStatus? next, CaKeyStatus active, string? reason)
    {
        if (next is null)
        {
            throw new UsageException("--emergency needs a next key to promote (published ahead, so that hosts and users already trust it)");
        }

        var why = reason ?? throw new UsageException("--emergency needs --reason (recorded with the revocation)");
        SetState(states, next.Key.Name, "active");
        SetState(states, active.Key.Name, "revoked", why);
        return new Result($"{active.Key.Name} is revoked (in the KRL, out of every trust set); {next.Key.Name} signs now", null);
    }

    private static void SetState(JsonObject states, string name, string state, string? why = null)
    {
        var entry = states[name] as JsonObject ?? [];
        states[name] = entry;
        entry["state"] = state;
        if (why is not null)
        {
            entry["revocationReason"] = why;
        }
    }

    /// <summary>What a step did (<paramref name="Done"/>), or why a promotion waits (<paramref name="NotReady"/>).</summary>
    public sealed record Result(string? Done, string? NotReady);

    /// <summary>The four steps of a rotation.</summary>
    public enum RotationAction
    {
        /// <summary>Publish a new key as next.</summary>
        Add,

        /// <summary>The next key signs; the active one is retired.</summary>
        Promote,

        /// <summary>Undo the last step.</summary>
        Rollback,

        /// <summary>Revoke the active key and promote the next.</summary>
        Emergency,
    }

    /// <summary>One step and its arguments.</summary>
    public sealed record RotationStep(RotationAction Action, NewKey? NewKey = null, bool Force = false, string? To = null, string? Reason = null);

    /// <summary>A key to add: its name, URI, public key line and exactly one PIN source.</summary>
    public sealed record NewKey(string Name, string Uri, string PublicKeyLine, string? PinFile, string? PinCredential);
}
