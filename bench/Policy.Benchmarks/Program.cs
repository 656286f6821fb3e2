using BenchmarkDotNet.Running;

namespace SshHsmCa.Policy.Benchmarks;

/// <summary>Run: <c>dotnet run -c Release --project bench/Policy.Benchmarks -- --filter '*'</c></summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
