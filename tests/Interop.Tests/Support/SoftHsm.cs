using System.Text;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using SshHsmCa.Hsm.Pkcs11;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// A SoftHSM2 token store made for this test run: its own softhsm2.conf and token folder, set in
/// the native environment before the module loads (once per process), and tokens created in
/// process with C_InitToken/C_InitPIN. Removed when the run ends.
/// </summary>
public sealed class SoftHsm : IDisposable
{
    public const string UserPin = "246810";
    public const string SoPin = "13579135";

    private readonly TempDir _dir = new("sshhsmca-softhsm-");
    private int _tokens;

    public SoftHsm()
    {
        Tools.Require(Tools.SoftHsmModule);
        Directory.CreateDirectory(_dir.PathOf("tokens"));
        var conf = _dir.Write("softhsm2.conf", $"directories.tokendir = {_dir.PathOf("tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        NativeEnvironment.Set("SOFTHSM2_CONF", conf);
        Library = Pkcs11Library.Get(Tools.SoftHsmModule);
    }

    public IPkcs11Library Library { get; }

    public string ConfPath => _dir.PathOf("softhsm2.conf");

    public static byte[] Pin => Encoding.ASCII.GetBytes(UserPin);

    /// <summary>Initialises a fresh token in the free slot and sets its user PIN; returns its label.</summary>
    public string CreateToken(string prefix)
    {
        lock (_dir)
        {
            var label = $"{prefix}-{Interlocked.Increment(ref _tokens)}";
            return Pkcs11KeyCeremony.InitializeToken(Tools.SoftHsmModule, label, Encoding.ASCII.GetBytes(SoPin), Pin);
        }
    }

    public ISlot FindSlot(string label) =>
        Library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == label);

    /// <summary>The folder SoftHSM2 keeps the token <paramref name="label"/> in (its token.object names the label).</summary>
    public string TokenDirectory(string label) =>
        Directory.GetDirectories(_dir.PathOf("tokens")).Single(d =>
            File.Exists(Path.Combine(d, "token.object"))
            && File.ReadAllBytes(Path.Combine(d, "token.object")).AsSpan().IndexOf(Encoding.ASCII.GetBytes(label.PadRight(32))) >= 0);

    /// <summary>
    /// Moves the token's folder out of the token directory (SoftHSM2 takes every folder in it for a
    /// token) and closes this process's sessions on it, so backends must look for it again; the
    /// token comes back when the result is disposed.
    /// </summary>
    public IDisposable TakeAway(string label)
    {
        var folder = TokenDirectory(label);
        var slot = FindSlot(label);
        var away = System.IO.Path.Combine(_dir.Path, "away-" + System.IO.Path.GetFileName(folder));
        Directory.Move(folder, away);
        slot.CloseAllSessions();
        return new Returning(() => Directory.Move(away, folder));
    }

    private sealed class Returning(Action back) : IDisposable
    {
        public void Dispose() => back();
    }

    public static string Uri(string token, string key) => $"pkcs11:token={token};object={key}?module-path={Tools.SoftHsmModule}";

    /// <summary>Generates a key on a token through the ceremony API.</summary>
    public static Ssh.Keys.SshPublicKey Generate(string token, CaKeyType type, string label, byte id)
    {
        using var t = Pkcs11Token.Open(Pkcs11KeyUri.Parse(Uri(token, label)), Pin, readWrite: true);
        return Pkcs11KeyCeremony.Generate(t, type, label, [id]);
    }

    public void Dispose() => _dir.Dispose();
}
