using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli.Commands.Keys;

/// <summary>
/// <c>key enroll</c> (issue 29): a challenge from the CA, a new key generated inside the security
/// key by ssh-keygen with its attestation over that challenge, then the key and the attestation
/// to the CA, which verifies and records them. Login with it: <c>login --security-key FILE</c>.
/// </summary>
internal static class KeyEnrollCommand
{
    /// <summary>The comment of enrolled keys; <c>logout</c> removes identities whose comment starts with "ssh-hsm-ca:".</summary>
    public const string Comment = "ssh-hsm-ca:security-key";

    public static Command Create(GlobalOptions global)
    {
        var type = new Option<string>("--type", "-t") { Description = "ecdsa-sk (every FIDO2 key) or ed25519-sk (newer keys)", DefaultValueFactory = _ => "ecdsa-sk", HelpName = "TYPE" };
        type.AcceptOnlyFromAmong("ecdsa-sk", "ed25519-sk");
        var output = new Option<string?>("--out", "-f") { Description = "the key file to write (default ~/.ssh/id_TYPE_ssh-hsm-ca); it must not exist", HelpName = "FILE" };
        var verify = new Option<bool>("--verify-required") { Description = "the key asks for its PIN or a biometric at every use (and the certificate will say so)" };
        var application = new Option<string?>("--application") { Description = "the FIDO application (default ssh:)", HelpName = "ssh:NAME" };
        var provider = new Option<string?>("--provider", "-w") { Description = "a security-key provider library instead of OpenSSH's own USB support (ssh-keygen -w)", HelpName = "PATH" };
        var idToken = new Option<string?>("--id-token-file") { Description = "authenticate with this ID token", HelpName = "FILE" };
        var sso = new Option<bool>("--sso") { Description = "authenticate by SSO in the browser (as login does)" };
        var device = new Option<bool>("--device") { Description = "authenticate by SSO with the device flow" };
        var json = GlobalOptions.Json();
        var command = new Command("enroll", "generate a key in a security key and enroll it with its attestation (the CA checks the key lives in trusted hardware)")
        {
            type, output, verify, application, provider, idToken, sso, device, json,
        };
        command.SetAction(async (result, cancel) =>
        {
            var keyType = result.GetValue(type)!;
            var file = result.GetValue(output) ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", $"id_{keyType.Replace('-', '_')}_ssh-hsm-ca");
            // ssh-keygen writes FILE and FILE.pub itself: neither may exist, not even as a dangling link it would write through.
            if (new[] { file, file + ".pub" }.Any(f => File.Exists(f) || new FileInfo(f).LinkTarget is not null))
            {
                throw new UsageException($"{file} or {file}.pub exists (or is a link): enroll into another --out, or remove it first");
            }

            var connection = global.Connection(result);
            var asJson = result.GetValue(json);
            var status = asJson ? Console.Error : Console.Out;
            var bearer = result.GetValue(idToken) is not null || result.GetValue(sso) || result.GetValue(device)
                ? "Bearer " + await SsoToken.GetAsync(connection.CreateClient(), result.GetValue(idToken), result.GetValue(device), 0, status, cancel).ConfigureAwait(false)
                : null;
            var client = connection.CreateClient(bearer);
            var begun = await client.BeginKeyEnrollmentAsync(new BeginKeyEnrollmentRequest(), cancellationToken: cancel).ConfigureAwait(false);

            var work = Directory.CreateTempSubdirectory("ssh-hsm-ca-enroll-");
            try
            {
                var challenge = Path.Combine(work.FullName, "challenge");
                var attestation = Path.Combine(work.FullName, "attestation");
                File.WriteAllBytes(challenge, begun.Challenge.ToByteArray());
                List<string> arguments = ["-t", keyType, "-f", file, "-N", "", "-C", Comment, "-O", "challenge=" + challenge, "-O", "write-attestation=" + attestation];
                if (result.GetValue(verify))
                {
                    arguments.AddRange(["-O", "verify-required"]);
                }

                if (result.GetValue(application) is { } app)
                {
                    arguments.AddRange(["-O", "application=" + app]);
                }

                if (result.GetValue(provider) is { } library)
                {
                    arguments.AddRange(["-w", library]);
                }

                await status.WriteLineAsync($"Generating the key in the security key ({keyType}); touch it when it blinks.").ConfigureAwait(false);
                OpenSshTool.Run("ssh-keygen", arguments, interactive: !asJson);
                var request = new EnrollSecurityKeyRequest
                {
                    PublicKey = CliFiles.ReadText(file + ".pub").Trim(),
                    Attestation = Google.Protobuf.ByteString.CopyFrom(CliFiles.ReadBytes(attestation, 64 * 1024)),
                    Challenge = begun.Challenge,
                };

                EnrollSecurityKeyResponse enrolled;
                try
                {
                    enrolled = await client.EnrollSecurityKeyAsync(request, cancellationToken: cancel).ConfigureAwait(false);
                }
                catch (RpcException)
                {
                    // Not enrolled: the files would only be mistaken for an enrolled key.
                    File.Delete(file);
                    File.Delete(file + ".pub");
                    await Console.Error.WriteLineAsync($"ssh-hsm-ca: the CA refused the key; {file} was removed.").ConfigureAwait(false);
                    throw;
                }

                var key = enrolled.Key;
                if (asJson)
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { file, fingerprint = key.Fingerprint, aaguid = key.Aaguid, userVerified = key.UserVerified, backup = key.Backup, format = key.Format, certificateSubject = key.CertificateSubject, rootSubject = key.RootSubject, enrolledAt = key.EnrolledAt })).ConfigureAwait(false);
                }
                else
                {
                    await status.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"Enrolled {key.Fingerprint}\n  key file:          {file}\n  model (AAGUID):    {key.Aaguid}\n  user verification: {(key.UserVerified ? "yes" : "no")}\n  attestation:       {key.Format}, {key.CertificateSubject}\n  trusted root:      {key.RootSubject}\nLog in with it: ssh-hsm-ca login --security-key {file}")).ConfigureAwait(false);
                }

                return 0;
            }
            finally
            {
                work.Delete(recursive: true);
            }
        });
        return command;
    }
}
