using System.Text.Json;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli;

/// <summary><c>piv generate</c>: the YubiKey key ceremony, run by the daemon (operators, on its socket).</summary>
internal static class PivCommands
{
    public static async Task<int> RunAsync(Connection connection, Queue<string> arguments)
    {
        var sub = arguments.TryDequeue(out var s) ? s : throw new UsageException("piv needs generate");
        if (sub != "generate")
        {
            throw new UsageException($"unknown piv command '{sub}'");
        }

        var request = new GeneratePivKeyRequest();
        var json = false;
        while (arguments.TryDequeue(out var argument))
        {
            switch (argument)
            {
                case "--algorithm":
                    request.Algorithm = Program.Value(arguments, argument);
                    break;
                case "--pin-policy":
                    request.PinPolicy = Program.Value(arguments, argument);
                    break;
                case "--touch-policy":
                    request.TouchPolicy = Program.Value(arguments, argument);
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    if (argument.StartsWith('-') || request.Uri.Length > 0)
                    {
                        throw new UsageException($"piv generate: unexpected '{argument}'");
                    }

                    request.Uri = argument;
                    break;
            }
        }

        if (request.Uri.Length == 0)
        {
            throw new UsageException("piv generate needs a slot URI, e.g. 'piv:serial=12345678;slot=9c'");
        }

        await Console.Error.WriteLineAsync($"Generating a key in {request.Uri} (the YubiKey may blink: generation takes a few seconds for RSA)...").ConfigureAwait(false);
        var response = await connection.CreateClient().GeneratePivKeyAsync(request).ConfigureAwait(false);
        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new
            {
                publicKey = response.PublicKey,
                fingerprint = response.Fingerprint,
                serial = response.Serial,
                attestationVerified = response.AttestationVerified,
                attestationRoot = response.AttestationRoot,
                attestationProblem = response.AttestationProblem,
                attestationPem = response.AttestationPem,
            })).ConfigureAwait(false);
        }
        else
        {
            await Console.Out.WriteLineAsync($"""
                Generated on YubiKey {response.Serial}: {response.Fingerprint}
                {response.PublicKey}
                Attestation: {(response.AttestationVerified ? "verified, under " + response.AttestationRoot : "NOT verified: " + response.AttestationProblem)}
                Configure it (conf.d/*.json), then restart the daemon:
                  "hostCa": {"{"} "uri": "{request.Uri}", "pinCredential": "token-pin", "expectedPublicKey": "{response.Fingerprint}" {"}"}
                """).ConfigureAwait(false);
        }

        return response.AttestationVerified ? 0 : 1;
    }
}
