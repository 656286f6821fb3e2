using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli.Commands.User;

/// <summary>
/// <c>login</c>: SSO (browser with PKCE and a loopback redirect, or the device flow), a fresh
/// Ed25519 key, a user certificate, both in ssh-agent until the certificate expires.
/// </summary>
internal static class LoginCommand
{
    /// <summary>The comment on every identity <c>login</c> adds; <c>logout</c> removes those.</summary>
    public const string CommentPrefix = "ssh-hsm-ca:";

    public static Command Create(GlobalOptions global)
    {
        var deviceOption = new Option<bool>("--device") { Description = "the device flow, for a machine without a browser" };
        var idTokenOption = new Option<string?>("--id-token-file") { Description = "an ID token obtained elsewhere", HelpName = "FILE" };
        var principalsOption = new Option<string[]>("--principal", "-n") { Description = "a principal to ask for (repeat; default: all the policy grants)", HelpName = "NAME" };
        var forceOption = new Option<bool>("--force") { Description = "a new certificate even when one from this CA is in ssh-agent" };
        var writeFilesOption = new Option<string?>("--write-files") { Description = "also write the key and certificate into DIR", HelpName = "DIR" };
        var redirectPortOption = new Option<int>("--redirect-port") { Description = "the loopback port of the browser redirect (default: any free port)", HelpName = "PORT" };
        redirectPortOption.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 65535)
            {
                r.AddError("--redirect-port takes a port number");
            }
        });
        var securityKeyOption = new Option<string?>("--security-key") { Description = "certify this enrolled security key (ssh-hsm-ca key enroll) instead of a fresh software key; FILE-cert.pub is written beside it and both go into ssh-agent", HelpName = "FILE" };
        var jsonOption = GlobalOptions.Json();
        var command = new Command("login", "SSO login: a fresh key (or an enrolled security key) and a user certificate in ssh-agent until it expires")
        {
            deviceOption, idTokenOption, principalsOption, forceOption, writeFilesOption, redirectPortOption, securityKeyOption, jsonOption,
        };
        command.SetAction(async (result, cancel) =>
        {
            var connection = global.Connection(result);
            var device = result.GetValue(deviceOption);
            var idTokenFile = result.GetValue(idTokenOption);
            var principals = result.GetValue(principalsOption) ?? [];
            var force = result.GetValue(forceOption);
            var writeFiles = result.GetValue(writeFilesOption);
            var redirectPort = result.GetValue(redirectPortOption);
            var securityKey = result.GetValue(securityKeyOption);
            if (securityKey is not null && writeFiles is not null)
            {
                throw new UsageException("--write-files makes a software key; with --security-key the certificate is written beside the key");
            }

            // Read before anything else happens, so a wrong file fails at once.
            var securityKeyPublic = securityKey is null ? null : SecurityKeyFiles.PublicKeyOf(securityKey);
            var json = result.GetValue(jsonOption);
            var status = json ? Console.Error : Console.Out;
            var anonymous = connection.CreateClient();
            var configured = ClientConfig.Current;
            var keys = await anonymous.GetCaPublicKeysAsync(new GetCaPublicKeysRequest { KnownHostsPattern = configured?.HostsPattern ?? "*" }, cancellationToken: cancel).ConfigureAwait(false);
            var userCaKeys = TrustInstaller.UserCaKeys(keys);

            // The host KRL setup installed: refreshed, believed by the trust rule against the state
            // in the known_hosts file setup wrote; a refusal is reported, not fatal.
            if (configured?.RevokedHostKeysFile is { } revokedHosts && File.Exists(revokedHosts) && TrustFileOf(configured, userCaKeys) is { } trustFile)
            {
                try
                {
                    var (krl, signature, version) = await KrlInstaller.FetchAsync(anonymous, cancel).ConfigureAwait(false);
                    if (KrlInstaller.Install(revokedHosts, krl, signature, trustFile, version).Written)
                    {
                        await status.WriteLineAsync($"Updated the CA's KRL in {revokedHosts} (version {version}).").ConfigureAwait(false);
                    }
                }
                catch (RefusedUpdateException e)
                {
                    await Console.Error.WriteLineAsync($"ssh-hsm-ca: warning: {e.Message}").ConfigureAwait(false);
                }
            }

            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var agent = SshAgentClient.Connect();
            if (!force && CurrentCertificate(agent, userCaKeys, now) is { } current)
            {
                await RefreshKnownHostsAsync(anonymous, configured, userCaKeys, status, cancel).ConfigureAwait(false);
                await status.WriteLineAsync($"Already logged in: a certificate for {string.Join(",", current.Principals)} is in ssh-agent until {TimeText.Utc(current.ValidBefore)}. Use --force for a new one.").ConfigureAwait(false);
                if (json)
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { status = "already-logged-in", principals = current.Principals, serial = current.Serial, validBefore = current.ValidBefore })).ConfigureAwait(false);
                }

                return 0;
            }

            var idToken = await SsoToken.GetAsync(anonymous, idTokenFile, device, redirectPort, status, cancel).ConfigureAwait(false);

            using var key = securityKeyPublic is null ? Ed25519KeyPair.Generate() : null;
            var request = new SignUserCertificateRequest { PublicKey = (securityKeyPublic ?? key!.PublicKey).ToOpenSshLine(), RequestId = "login" };
            request.Principals.AddRange(principals);
            var issued = (await connection.CreateClient("Bearer " + idToken).SignUserCertificateAsync(request, cancellationToken: cancel).ConfigureAwait(false)).Certificate;
            var certificate = SshCertificate.ParseLine(issued.Certificate);
            now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (certificate.ValidBefore <= now + 1)
            {
                throw new IOException("the CA issued a certificate that has already expired; check this machine's clock");
            }

            var lifetime = (uint)Math.Min(certificate.ValidBefore - now, uint.MaxValue);
            var comment = CommentPrefix + certificate.KeyId;
            string? keyPath = null;
            var hops = AgentDestinations.Hops(issued.AgentRestriction);
            var hostCaKeys = hops.Count > 0 ? TrustInstaller.HostCaKeys(keys) : [];
            hops = AgentDestinations.Add(
                applied =>
                {
                    if (key is null)
                    {
                        keyPath = SecurityKeyFiles.AddToAgent(agent, securityKey!, certificate, lifetime, applied, hostCaKeys);
                    }
                    else
                    {
                        agent.AddEd25519(key.Seed, key.PublicKeyBytes, certificate.Blob.Span, comment, lifetime, applied.Count > 0 ? Ssh.Agent.DestinationConstraint.Encode(applied, hostCaKeys) : default);
                    }
                },
                hops,
                issued.AgentRestriction?.AllowUnrestricted ?? false,
                Console.Error);

            if (key is not null && writeFiles is not null)
            {
                keyPath = WriteFiles(writeFiles, key, certificate, comment);
            }

            AgentDestinations.Remember(certificate.PublicKey.GetSha256Fingerprint(), hops, certificate.ValidBefore);

            // The @cert-authority lines setup wrote follow the CA's host keys (rotation); fetched
            // with the ID token, so that the CA counts this user as having the set.
            await RefreshKnownHostsAsync(connection.CreateClient("Bearer " + idToken), configured, userCaKeys, status, cancel).ConfigureAwait(false);

            if (json)
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { status = "logged-in", keyId = certificate.KeyId, principals = certificate.Principals, serial = certificate.Serial, validAfter = certificate.ValidAfter, validBefore = certificate.ValidBefore, agentLifetimeSeconds = lifetime, keyFile = keyPath, agentDestinations = hops.Select(h => new { from = h.From, to = h.To }).ToArray() })).ConfigureAwait(false);
            }
            else
            {
                await status.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Logged in as {certificate.KeyId}\n  principals: {string.Join(", ", certificate.Principals)}\n  expires:    {TimeText.Utc(certificate.ValidBefore)} (in {TimeText.Span(lifetime)})\n  serial:     {certificate.Serial}\n{AgentDestinations.Describe(hops)}\n{(key is null ? $"The security key and its certificate are in ssh-agent until then; the certificate is also in {keyPath}." : $"The key and certificate are in ssh-agent until then{(keyPath is null ? string.Empty : $"; also written to {keyPath}")}.")}{(certificate.CriticalOptions.Contains(SshCriticalOptions.VerifyRequiredName) ? "\n  verify-required: every login asks the security key to verify you (PIN or biometrics)" : string.Empty)}")).ConfigureAwait(false);
            }

            return 0;
        });
        return command;
    }

    /// <summary>The trust set's host CA keys into the known_hosts file setup wrote; a refusal is reported, not fatal.</summary>
    private static async Task RefreshKnownHostsAsync(CertificateAuthorityService.CertificateAuthorityServiceClient client, ClientConfig? configured, IReadOnlyList<SshPublicKey> userCaKeys, TextWriter status, CancellationToken cancel)
    {
        if (TrustFileOf(configured, userCaKeys) is not { } trustFile)
        {
            return;
        }

        try
        {
            var installed = TrustInstaller.Install(await client.GetTrustSetAsync(new GetTrustSetRequest(), cancellationToken: cancel).ConfigureAwait(false), trustFile);
            if (installed.Written)
            {
                await status.WriteLineAsync($"Updated the CA's host keys in {trustFile.Path} (trust set version {installed.Version}).").ConfigureAwait(false);
            }
        }
        catch (RefusedUpdateException e)
        {
            await Console.Error.WriteLineAsync($"ssh-hsm-ca: warning: {e.Message}").ConfigureAwait(false);
        }
    }

    /// <summary>The known_hosts file setup wrote, as a trust file (the CA's answer stands in for a file without a state), or null.</summary>
    private static TrustFile? TrustFileOf(ClientConfig? configured, IReadOnlyList<SshPublicKey> userCaKeys) =>
        configured?.KnownHostsFile is { } knownHosts && File.Exists(knownHosts) ? TrustFile.KnownHosts(knownHosts, configured.HostsPattern ?? "*", userCaKeys) : null;

    private static SshCertificate? CurrentCertificate(SshAgentClient agent, IReadOnlyList<SshPublicKey> userCaKeys, ulong now)
    {
        foreach (var identity in agent.List())
        {
            SshCertificate certificate;
            try
            {
                certificate = SshCertificate.Parse(identity.Blob);
            }
            catch (SshFormatException)
            {
                continue;
            }

            if (userCaKeys.Contains(certificate.SignatureKey) && certificate.IsValidAt(now + 60))
            {
                return certificate;
            }
        }

        return null;
    }

    private static string WriteFiles(string directory, Ed25519KeyPair key, SshCertificate certificate, string comment)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "id_ed25519_ssh-hsm-ca");
        FileOutput.WriteAtomically(path, key.ToOpenSshPrivateKey(comment), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        FileOutput.WriteAtomically(path + ".pub", key.PublicKey.ToOpenSshLine(comment) + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        FileOutput.WriteAtomically(path + "-cert.pub", certificate.ToOpenSshLine(comment) + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }
}
