using System.Reflection;
using NetArchTest.Rules;

namespace SshHsmCa.CaDaemon.Tests;

/// <summary>
/// Issue 27: the daemon's folders depend on each other in one direction only (the graph
/// docs/architecture.md draws), and the domain folders speak neither gRPC nor ASP.NET: the API
/// (Grpc/) translates, the host (Hosting/) composes. Read from the compiled assembly's IL
/// (NetArchTest), so a dependency through a fully qualified name counts as much as a using.
/// </summary>
public class ArchitectureTests
{
    private const string Root = "SshHsmCa.CaDaemon.";
    private static readonly Assembly Daemon = typeof(CaDaemon.Hosting.DaemonHost).Assembly;

    /// <summary>The domain folders: what the appliance does, whatever carries the calls.</summary>
    private static readonly string[] Domain = ["Audit", "Auth", "Ceremony", "Hosts", "Issuing", "Revocation", "SecurityKeys", "Transparency", "Trust"];

    private static IReadOnlyList<string> Folders() =>
        [.. Daemon.GetTypes().Select(t => t.Namespace ?? string.Empty).Where(n => n.StartsWith(Root, StringComparison.Ordinal)).Select(n => n[Root.Length..].Split('.')[0]).Distinct().Order(StringComparer.Ordinal)];

    private static bool DependsOn(string folder, string target) =>
        !Types.InAssembly(Daemon).That().ResideInNamespace(Root + folder).Should().NotHaveDependencyOn(target).GetResult().IsSuccessful;

    [Fact]
    public void TheFolderGraphHasNoCycle()
    {
        var folders = Folders();
        Assert.Contains("Hosting", folders);
        Assert.Contains("Grpc", folders);
        var edges = folders.ToDictionary(f => f, f => folders.Where(t => t != f && DependsOn(f, Root + t)).ToList(), StringComparer.Ordinal);

        // The reading sees dependencies at all: edges the code certainly has.
        Assert.Contains("Auth", edges["Grpc"]);
        Assert.Contains("Grpc", edges["Hosting"]);
        Assert.Contains("Revocation", edges["Trust"]);

        // Kahn's algorithm: whatever is left once every folder without dependents is removed is a cycle.
        var remaining = new Dictionary<string, List<string>>(edges, StringComparer.Ordinal);
        bool removed;
        do
        {
            var leaves = remaining.Where(e => e.Value.All(t => !remaining.ContainsKey(t))).Select(e => e.Key).ToList();
            removed = leaves.Count > 0;
            leaves.ForEach(l => remaining.Remove(l));
        }
        while (removed);

        Assert.True(remaining.Count == 0, "a cycle among these folders (or above one): " + string.Join("; ", remaining.Select(e => $"{e.Key} -> {string.Join(", ", e.Value.Where(remaining.ContainsKey))}")));
        Assert.Empty(edges.Where(e => e.Key != "Hosting" && e.Value.Contains("Hosting")).Select(e => e.Key));
    }

    [Theory]
    [InlineData("Grpc.Core")]
    [InlineData("Google.Protobuf")]
    [InlineData("SshHsmCa.Protos")]
    [InlineData("Microsoft.AspNetCore")]
    public void DomainFoldersUseNoTransportTypes(string transport)
    {
        var offenders = Domain.Where(folder => DependsOn(folder, transport)).ToList();
        Assert.True(offenders.Count == 0, $"{string.Join(", ", offenders)} depend on {transport}");
    }
}
