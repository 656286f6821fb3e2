using SharpFuzz;

namespace SshHsmCa.Fuzz;

/// <summary>
/// <c>SshHsmCa.Fuzz TARGET</c> under afl-fuzz (scripts/fuzz.sh): reads one input from stdin and
/// runs it through the target. A target catches only the failure its parser documents for bad
/// input; any other exception escapes and is a crash to AFL. <c>--replay FILE</c> runs one input
/// without AFL (to turn a crash into a unit test); run it from the uninstrumented build
/// (<c>dotnet run --project fuzz/Targets -c Release -- TARGET --replay FILE</c>): instrumented
/// assemblies fault outside the fuzzing loop.
/// </summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length is 0 || !Targets.All.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: SshHsmCa.Fuzz TARGET [--replay FILE]\ntargets: {string.Join(", ", Targets.All.Keys)}");
            return 2;
        }

        if (args is [_, "--replay", var file])
        {
            target(File.ReadAllBytes(file));
            return 0;
        }

        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target(buffer.ToArray());
        });
        return 0;
    }
}
