using System.Diagnostics;
using System.Globalization;
using System.Text;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Krl;

// KRL build time and size for 10^3, 10^5 and 10^6 revoked serials (dense, sparse, mixed), ours
// beside ssh-keygen -k on the same specification; then ssh-keygen -Q on one certificate against
// our KRL and against its own (the time sshd's check costs at a login, process start included).
// Usage: dotnet run -c Release --project bench/Krl.Benchmarks [-- 1000,100000,1000000]
var sizes = args.Length > 0 ? args[0].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [1_000, 100_000, 1_000_000];
var dir = Directory.CreateTempSubdirectory("krl-bench-").FullName;
try
{
    Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench-ca", "-f", Path.Combine(dir, "ca"));
    Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "user", "-f", Path.Combine(dir, "user"));
    var ca = SshPublicKey.ParseLine(File.ReadAllText(Path.Combine(dir, "ca.pub")));
    Console.WriteLine($"KRL benchmark, {DateTimeOffset.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores; times are medians of 3");
    Console.WriteLine("| serials | pattern | ours: build+encode | ours: bytes | ssh-keygen -k | its bytes | its KRL readable | -Q on ours | -Q on its own |");
    Console.WriteLine("|---:|---|---:|---:|---:|---:|---|---:|---:|");
    foreach (var count in sizes)
    {
        foreach (var pattern in new[] { "dense", "sparse", "mixed" })
        {
            var serials = Serials(count, pattern, new Random(count ^ pattern.Length));
            byte[] ours = [];
            var oursMs = Median(3, () =>
            {
                var builder = new SshKrlBuilder();
                foreach (var s in serials)
                {
                    builder.RevokeSerial(ca, s);
                }

                ours = builder.Build(1, 1_800_000_000, "bench").Encode();
            });
            var oursFile = Path.Combine(dir, "ours.krl");
            File.WriteAllBytes(oursFile, ours);

            var spec = Path.Combine(dir, "spec");
            var text = new StringBuilder(serials.Length * 16);
            foreach (var s in serials)
            {
                text.Append(CultureInfo.InvariantCulture, $"serial: {s}\n");
            }

            File.WriteAllText(spec, text.ToString());
            var theirs = Path.Combine(dir, "theirs.krl");
            var theirsMs = Median(3, () =>
            {
                File.Delete(theirs);
                Run("ssh-keygen", "-k", "-f", theirs, "-s", Path.Combine(dir, "ca.pub"), "-z", "1", spec);
            });
            var readable = Try("ssh-keygen", "-Q", "-l", "-f", theirs) == 0;

            // A certificate whose serial is revoked in the middle of the set.
            var certSerial = serials[serials.Length / 2];
            File.Delete(Path.Combine(dir, "user-cert.pub"));
            Run("ssh-keygen", "-q", "-s", Path.Combine(dir, "ca"), "-I", "bench", "-n", "user", "-z", certSerial.ToString(CultureInfo.InvariantCulture), Path.Combine(dir, "user.pub"));
            var cert = Path.Combine(dir, "user-cert.pub");
            var queryOurs = Median(3, () => Expect(1, "ssh-keygen", "-Q", "-f", oursFile, cert));
            var queryTheirs = readable ? Median(3, () => Expect(1, "ssh-keygen", "-Q", "-f", theirs, cert)).ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "—";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {count:N0} | {pattern} | {oursMs:0.0} ms | {ours.Length:N0} | {theirsMs:0.0} ms | {new FileInfo(theirs).Length:N0} | {(readable ? "yes" : "NO: ssh-keygen -Q refuses it")} | {queryOurs:0.0} ms | {queryTheirs} |"));
        }
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static ulong[] Serials(int count, string pattern, Random random)
{
    var set = new SortedSet<ulong>();
    ulong cursor = 1;
    while (set.Count < count)
    {
        switch (pattern)
        {
            case "dense":
                // Consecutive serials with a gap now and then (certificates issued, a few revoked).
                cursor += random.Next(100) == 0 ? (ulong)random.Next(2, 10) : 1;
                break;
            case "sparse":
                cursor += (ulong)random.Next(2, 200);
                break;
            default:
                cursor += random.Next(2) == 0 ? 1 : (ulong)random.Next(2, 400);
                break;
        }

        set.Add(cursor);
    }

    return [.. set];
}

static double Median(int runs, Action action)
{
    var times = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }

    times.Sort();
    return times[runs / 2];
}

static void Run(string program, params string[] arguments)
{
    if (Try(program, arguments) != 0)
    {
        throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed");
    }
}

static void Expect(int code, string program, params string[] arguments)
{
    var actual = Try(program, arguments);
    if (actual != code)
    {
        throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {actual}, expected {code}");
    }
}

static int Try(string program, params string[] arguments)
{
    var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    using var process = Process.Start(start)!;
    _ = process.StandardOutput.ReadToEndAsync();
    _ = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    return process.ExitCode;
}

