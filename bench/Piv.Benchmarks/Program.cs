using System.Diagnostics;
using System.Globalization;
using System.Text;
using SshHsmCa.Hsm;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Interop.Tests.Support;

// PIV signing through the real pcscd and libpcsclite to the virtual YubiKey 5.7 (vpcd): signatures
// per second for each algorithm (the backend, software verification included, beside the bare
// GENERAL AUTHENTICATE exchange), then 50-host batches with touch policy "always" and "cached".
// These are emulator figures: the card's own signing time on hardware (~70 ms for P-256 on a YK5)
// is not modelled. Needs root (pcscd's socket, a network namespace): run it as the tests run.
//   dotnet run -c Release --project bench/Piv.Benchmarks -- [SECONDS per cell, default 5]
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
using var card = new VirtualCard();
card.Factory();
var pin = "123456"u8.ToArray();
var data = Encoding.UTF8.GetBytes(new string('x', 600));
Console.WriteLine($"virtual YubiKey {VirtualCard.Serial} in '{Pcscd.ReaderName}', {seconds:0.#} s per cell");
Console.WriteLine("| algorithm | backend sig/s (verify incl.) | p50 ms | p99 ms | bare GENERAL AUTHENTICATE/s |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var (algorithm, slot) in new[] { (PivAlgorithm.EccP256, (byte)0x9A), (PivAlgorithm.EccP384, (byte)0x9C), (PivAlgorithm.Ed25519, (byte)0x9D), (PivAlgorithm.Rsa2048, (byte)0x9E) })
{
    var where = new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = slot };
    PivKeyCeremony.Generate(where, algorithm, PivPinPolicy.Once, PivTouchPolicy.Never, PivManagementKey.DefaultKey);
    await using var key = PivCaKey.Open(where, pin);
    await key.SignAsync(data); // warm-up
    var latencies = new List<double>();
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        var one = Stopwatch.GetTimestamp();
        await key.SignAsync(data);
        latencies.Add(Stopwatch.GetElapsedTime(one).TotalMilliseconds);
    }

    var backend = latencies.Count / clock.Elapsed.TotalSeconds;
    latencies.Sort();

    // The bare exchange: one transaction, the digest/block prepared once, no verification.
    using var pcsc = PcscCard.Connect(Pcscd.ReaderName);
    var session = new PivSession(pcsc);
    session.Select();
    session.VerifyPin(pin);
    var input = algorithm switch
    {
        PivAlgorithm.EccP256 => System.Security.Cryptography.SHA256.HashData(data),
        PivAlgorithm.EccP384 => System.Security.Cryptography.SHA384.HashData(data),
        PivAlgorithm.Ed25519 => data,
        _ => PivSignatureInput.Pkcs1Block(256, SshHsmCa.Ssh.Signatures.RsaDigestInfo.Create("rsa-sha2-512", data)),
    };
    var count = 0;
    clock.Restart();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        if (!session.Sign(slot, algorithm, input).IsSuccess)
        {
            throw new InvalidOperationException("the bare signature failed");
        }

        count++;
    }

    var bare = count / clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {algorithm} | {backend:0.0} | {latencies[latencies.Count / 2]:0.00} | {latencies[(int)(latencies.Count * 0.99)]:0.00} | {bare:0.0} |"));
}

Console.WriteLine();
Console.WriteLine("50-host batches (P-256 in 9c; the virtual touch comes 500 ms after the card starts waiting):");
foreach (var touch in new[] { PivTouchPolicy.Always, PivTouchPolicy.Cached })
{
    card.Factory();
    var where = new PivCaKeyOptions { Serial = VirtualCard.Serial, Slot = 0x9C };
    PivKeyCeremony.Generate(where, PivAlgorithm.EccP256, PivPinPolicy.Once, touch, PivManagementKey.DefaultKey);
    await using var key = PivCaKey.Open(where, pin);
    card.Key.TouchDelay = TimeSpan.FromMilliseconds(500);
    var prompts = 0;
    var clock = Stopwatch.StartNew();
    using (TouchPrompts.Observe(_ => Interlocked.Increment(ref prompts)))
    {
        for (var i = 0; i < 50; i++)
        {
            await key.SignAsync(Encoding.UTF8.GetBytes($"host {i}"));
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  touch {touch}: 50 signatures in {clock.Elapsed.TotalSeconds:0.00} s, {prompts} touch prompt(s), the card waited for a touch {card.Key.TouchWaits} time(s) in all so far; cache window {card.Key.TouchCacheWindow.TotalSeconds:0} s"));
}
