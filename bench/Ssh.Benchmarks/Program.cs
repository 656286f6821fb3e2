using BenchmarkDotNet.Running;

namespace SshHsmCa.Ssh.Benchmarks;

/// <summary>
/// Micro-benchmarks of the wire-format library. Run:
/// <c>dotnet run -c Release --project bench/Ssh.Benchmarks -- --filter '*'</c>
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
