using System.CommandLine;
using System.Text.Json;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Piv;

/// <summary><c>piv generate URI</c>: the YubiKey key ceremony, run by the daemon (the policy's <c>ceremony</c> right).</summary>
internal static class PivGenerateCommand
{
    public static Command Create(GlobalOptions global)
    {
        var uriArgument = new Argument<string>("URI") { Description = "the slot, piv:serial=N;slot=9c" };
        var algorithmOption = new Option<string>("--algorithm") { Description = "the key type", HelpName = "ALG", DefaultValueFactory = _ => "p256" };
        algorithmOption.AcceptOnlyFromAmong("p256", "p384", "ed25519", "rsa2048", "rsa3072", "rsa4096");
        var pinOption = new Option<string>("--pin-policy") { Description = "when the card asks for the PIN", HelpName = "POLICY", DefaultValueFactory = _ => "once" };
        pinOption.AcceptOnlyFromAmong("never", "once", "always");
        var touchOption = new Option<string>("--touch-policy") { Description = "when the card asks for a touch", HelpName = "POLICY", DefaultValueFactory = _ => "cached" };
        touchOption.AcceptOnlyFromAmong("never", "always", "cached");
        var jsonOption = GlobalOptions.Json();
        var command = new Command("generate", "generate a CA key in a YubiKey slot, its attestation checked (operators: the 'ceremony' right)")
        {
            uriArgument, algorithmOption, pinOption, touchOption, jsonOption,
        };
        command.SetAction(async (result, cancel) =>
        {
            var connection = global.Connection(result);
            var json = result.GetValue(jsonOption);
            var request = new GeneratePivKeyRequest
            {
                Uri = result.GetValue(uriArgument)!,
                Algorithm = result.GetValue(algorithmOption)!,
                PinPolicy = result.GetValue(pinOption)!,
                TouchPolicy = result.GetValue(touchOption)!,
            };
            await Console.Error.WriteLineAsync($"Generating a key in {request.Uri} (the YubiKey may blink: generation takes a few seconds for RSA)...").ConfigureAwait(false);
            var response = await connection.CreateClient().GeneratePivKeyAsync(request, cancellationToken: cancel).ConfigureAwait(false);
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
        });
        return command;
    }
}
