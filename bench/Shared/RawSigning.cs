using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using SshHsmCa.Hsm.Pkcs11;

namespace SshHsmCa.Benchmarks.Shared;

/// <summary>What the benchmark programs share: pointing SoftHSM at a token store, and the raw C_Sign rate.</summary>
internal static partial class RawSigning
{
    public const string Module = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>SoftHSM reads SOFTHSM2_CONF with getenv when the module loads; .NET's environment does not reach it.</summary>
    public static void UseSoftHsmConf(string conf) => SetEnvironment("SOFTHSM2_CONF", conf);

    /// <summary>Sets a variable where native modules read it (libc's environment) and for child processes.</summary>
    public static void SetEnvironment(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (setenv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed");
        }
    }

    /// <summary>
    /// C_Sign through Pkcs11Interop, one session per thread, doing exactly what the backend asks of
    /// the token (host-side hash for ECDSA); signatures per second.
    /// </summary>
    public static double Rate(string token, string pin, string keyLabel, CaKeyType type, int threads, byte[] tbs, double seconds)
    {
        var library = Pkcs11Library.Get(Module);
        var slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == token);
        using var anchor = slot.OpenSession(SessionType.ReadOnly);
        try
        {
            anchor.Login(CKU.CKU_USER, pin);
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
        }

        var a = Pkcs11Library.Factories.ObjectAttributeFactory;
        var key = anchor.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_LABEL, keyLabel)]).Single();
        var f = Pkcs11Library.Factories.MechanismFactory;
        var count = 0L;
        var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            using var session = slot.OpenSession(SessionType.ReadOnly);
            var n = 0L;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                using var mechanism = type switch
                {
                    CaKeyType.Ed25519 => f.Create(0x1057UL),
                    CaKeyType.EcdsaP256 or CaKeyType.EcdsaP384 => f.Create(CKM.CKM_ECDSA),
                    _ => f.Create(CKM.CKM_SHA512_RSA_PKCS),
                };
                var input = type switch
                {
                    CaKeyType.EcdsaP256 => SHA256.HashData(tbs),
                    CaKeyType.EcdsaP384 => SHA384.HashData(tbs),
                    _ => tbs,
                };
                session.Sign(mechanism, key, input);
                n++;
            }

            Interlocked.Add(ref count, n);
        })).ToList();
        var started = Stopwatch.GetTimestamp();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
