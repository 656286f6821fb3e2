using SshHsmCa.Interop.Tests.Support;
using SshHsmCa.Tests.Shared;

namespace SshHsmCa.Interop.Tests;

/// <summary>
/// Issue 20: the contract as a client in another language meets it. The complete example of
/// docs/clients.md (examples/python/ca_client.py), with Debian's python3-grpcio and stubs generated
/// here from the committed ca.proto (protoc 3.21 for the messages, python3-grpc-tools for the
/// service), against the daemon over mTLS and its operator socket.
/// </summary>
[Collection(SoftHsmGroup.Name)]
public class PythonClientTests(SoftHsm hsm)
{
    [Fact]
    public async Task ThePythonExampleSignsListsAndReadsErrorDetails()
    {
        await using var daemon = await DaemonUnderTest.StartAsync(hsm);
        using var dir = new TempDir("sshhsmca-python-");
        using var laptop = daemon.Pki.Issue("CN=alice-laptop", server: false);
        TestPki.WritePem(laptop, dir.PathOf("client.pem"), dir.PathOf("client.key"));

        var root = Repository.Root;
        var stubs = Directory.CreateDirectory(dir.PathOf("stubs")).FullName;
        var wellKnown = ProcessRunner.Run("/usr/bin/python3", ["-c", "import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), '_proto'))"]);
        Assert.True(wellKnown.ExitCode == 0, wellKnown.Output);
        var messages = ProcessRunner.Run("/usr/bin/protoc",
        [
            "-I", Path.Combine(root, "src/Protos"), "-I", Path.Combine(root, "examples/python/protos"), "-I", wellKnown.Stdout.Trim(),
            "--python_out=" + stubs, "sshhsmca/v1/ca.proto", "google/rpc/status.proto", "google/rpc/error_details.proto",
        ]);
        Assert.True(messages.ExitCode == 0, messages.Output);
        var service = ProcessRunner.Run("/usr/bin/python3", ["-m", "grpc_tools.protoc", "-I", Path.Combine(root, "src/Protos"), "--grpc_python_out=" + stubs, "sshhsmca/v1/ca.proto"]);
        Assert.True(service.ExitCode == 0, service.Output);

        var run = ProcessRunner.Run("/usr/bin/python3",
        [
            Path.Combine(root, "examples/python/ca_client.py"),
            "--server", $"127.0.0.1:{daemon.Port}", "--ca", daemon.ServerCaFile,
            "--cert", dir.PathOf("client.pem"), "--key", dir.PathOf("client.key"),
            "--socket", daemon.SocketPath, "--public-key", TestKeys.Ed25519Line(),
        ], new Dictionary<string, string>(StringComparer.Ordinal) { ["PYTHONPATH"] = stubs }, 120_000);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains($"principals ['{SshdServer.User}']", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("bad request: INVALID_ARGUMENT INVALID_REQUEST sshhsmca.v1 fields ['public_key']", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("denied: PERMISSION_DENIED POLICY_DENIED reasons [('principal-not-allowed', 'principals')]", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("audit: 1 records", run.Stdout, StringComparison.Ordinal);

        // What it printed is a certificate with the policy's default extensions, as ssh-keygen reads it.
        var line = run.Stdout.Split('\n').Single(l => l.StartsWith("certificate: ", StringComparison.Ordinal))["certificate: ".Length..];
        var listing = ProcessRunner.Run(Tools.SshKeygen, ["-L", "-f", dir.Write("id-cert.pub", line + "\n")]);
        Assert.Contains("permit-pty", listing.Stdout, StringComparison.Ordinal);
    }
}
