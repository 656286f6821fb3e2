using System.Text.Json.Nodes;
using SshHsmCa.Protos.V1;
using Action = SshHsmCa.Cli.RotationPlan.RotationAction;
using Step = SshHsmCa.Cli.RotationPlan.RotationStep;

namespace SshHsmCa.Cli.Tests;

/// <summary>Issue 27: ca rotate's state machine as a pure type, every step and every refusal.</summary>
public class RotationPlanTests
{
    private static CaKeyStatus Key(string name, CaKeyState state, bool trusted = true, ulong known = 0, ulong fetched = 0, params string[] missing)
    {
        var status = new CaKeyStatus { Key = new CaKey { Name = name, State = state, Trusted = trusted, Ca = CaScope.User }, PartiesKnown = known, PartiesFetched = fetched };
        status.PartiesMissing.AddRange(missing);
        return status;
    }

    private static readonly RotationPlan.NewKey NewKey = new("user-2027", "pkcs11:token=ca;object=user-2027", "ssh-ed25519 AAAA", null, "user-ca-pin");

    private static string State(JsonObject states, string name) => states[name]!["state"]!.GetValue<string>();

    [Fact]
    public void AddPublishesANextKeyWithItsUriKeyAndOnePinSource()
    {
        var states = new JsonObject();
        var result = RotationPlan.Apply(states, [Key("userCa", CaKeyState.Active)], isUser: true, new Step(Action.Add, NewKey));
        Assert.Equal("user-2027 is published as the next user CA key", result.Done);
        Assert.Equal("next", State(states, "user-2027"));
        Assert.Equal("pkcs11:token=ca;object=user-2027", states["user-2027"]!["uri"]!.GetValue<string>());
        Assert.Equal("user-ca-pin", states["user-2027"]!["pinCredential"]!.GetValue<string>());
        Assert.Null(states["user-2027"]!["pinFile"]);
    }

    [Theory]
    [InlineData("userCa", "is taken")]
    [InlineData("bad name", "not a key name")]
    [InlineData("", "not a key name")]
    public void AddRefusesATakenOrMalformedName(string name, string expected)
    {
        var states = new JsonObject();
        var e = Assert.Throws<UsageException>(() => RotationPlan.Apply(states, [Key("userCa", CaKeyState.Active)], true, new Step(Action.Add, NewKey with { Name = name })));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Empty(states);
    }

    [Fact]
    public void AddNeedsExactlyOnePinSourceAndNoNextKeyAlready()
    {
        Assert.Contains("exactly one", Assert.Throws<UsageException>(() => RotationPlan.Apply([], [Key("userCa", CaKeyState.Active)], true, new Step(Action.Add, NewKey with { PinFile = "/p" }))).Message, StringComparison.Ordinal);
        Assert.Contains("exactly one", Assert.Throws<UsageException>(() => RotationPlan.Apply([], [Key("userCa", CaKeyState.Active)], true, new Step(Action.Add, NewKey with { PinCredential = null }))).Message, StringComparison.Ordinal);
        Assert.Contains("already the next key", Assert.Throws<UsageException>(() => RotationPlan.Apply([], [Key("userCa", CaKeyState.Active), Key("k2", CaKeyState.Next)], true, new Step(Action.Add, NewKey))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PromoteWaitsForTheFleetUnlessForcedThenRetiresTheActiveKey()
    {
        var keys = new[] { Key("userCa", CaKeyState.Active), Key("user-2027", CaKeyState.Next, true, 3, 2, "host:db1.example") };
        var waiting = new JsonObject();
        var notReady = RotationPlan.Apply(waiting, keys, true, new Step(Action.Promote));
        Assert.Null(notReady.Done);
        Assert.Contains("1 of 3 hosts", notReady.NotReady, StringComparison.Ordinal);
        Assert.Contains("host:db1.example", notReady.NotReady, StringComparison.Ordinal);
        Assert.Empty(waiting);

        var forced = new JsonObject();
        Assert.NotNull(RotationPlan.Apply(forced, keys, true, new Step(Action.Promote, Force: true)).Done);
        Assert.Equal("active", State(forced, "user-2027"));
        Assert.Equal("retired", State(forced, "userCa"));

        Assert.Contains("no next key", Assert.Throws<UsageException>(() => RotationPlan.Apply([], [Key("userCa", CaKeyState.Active)], true, new Step(Action.Promote))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RollbackWithdrawsOnlyANextKeyThisCommandAddedOrReturnsToTheOneTrustedRetiredKey()
    {
        var added = new JsonObject { ["user-2027"] = new JsonObject { ["state"] = "next", ["uri"] = "pkcs11:x" } };
        RotationPlan.Apply(added, [Key("userCa", CaKeyState.Active), Key("user-2027", CaKeyState.Next)], true, new Step(Action.Rollback));
        Assert.Null(added["user-2027"]);

        Assert.Contains("defined in the configuration itself", Assert.Throws<UsageException>(() => RotationPlan.Apply([], [Key("userCa", CaKeyState.Active), Key("user-2027", CaKeyState.Next)], true, new Step(Action.Rollback))).Message, StringComparison.Ordinal);

        var back = new JsonObject();
        RotationPlan.Apply(back, [Key("user-2027", CaKeyState.Active), Key("userCa", CaKeyState.Retired)], true, new Step(Action.Rollback));
        Assert.Equal("active", State(back, "userCa"));
        Assert.Equal("next", State(back, "user-2027"));

        var two = new[] { Key("c", CaKeyState.Active), Key("a", CaKeyState.Retired), Key("b", CaKeyState.Retired) };
        Assert.Contains("say which with --to", Assert.Throws<UsageException>(() => RotationPlan.Apply([], two, true, new Step(Action.Rollback))).Message, StringComparison.Ordinal);
        var chosen = new JsonObject();
        RotationPlan.Apply(chosen, two, true, new Step(Action.Rollback, To: "b"));
        Assert.Equal("active", State(chosen, "b"));
        Assert.Contains("nothing to roll back to", Assert.Throws<UsageException>(() => RotationPlan.Apply([], [Key("c", CaKeyState.Active), Key("a", CaKeyState.Retired, trusted: false)], true, new Step(Action.Rollback))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmergencyRevokesTheActiveKeyWithItsReasonAndPromotesTheNext()
    {
        var states = new JsonObject();
        var done = RotationPlan.Apply(states, [Key("userCa", CaKeyState.Active), Key("user-2027", CaKeyState.Next)], true, new Step(Action.Emergency, Reason: "token left unattended")).Done;
        Assert.Equal("userCa is revoked (in the KRL, out of every trust set); user-2027 signs now", done);
        Assert.Equal("revoked", State(states, "userCa"));
        Assert.Equal("token left unattended", states["userCa"]!["revocationReason"]!.GetValue<string>());
        Assert.Equal("active", State(states, "user-2027"));

        Assert.Contains("needs a next key", Assert.Throws<UsageException>(() => RotationPlan.Apply([], [Key("userCa", CaKeyState.Active)], true, new Step(Action.Emergency, Reason: "x"))).Message, StringComparison.Ordinal);
        Assert.Contains("needs --reason", Assert.Throws<UsageException>(() => RotationPlan.Apply([], [Key("userCa", CaKeyState.Active), Key("n", CaKeyState.Next)], true, new Step(Action.Emergency))).Message, StringComparison.Ordinal);
    }
}
