using System.Globalization;
using System.Text.Json;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Cli;

/// <summary><c>login</c> and <c>logout</c>: SSO, a fresh key, a certificate, both in ssh-agent with a lifetime.</summary>
internal static class LoginCommands
{
    /// <summary>The comment on every identity <c>login</c> adds; <c>logout</c> removes those.</summary>
    public const string CommentPrefix = "ssh-hsm-ca:";

    public static async Task<int> LoginAsync(Connection connection, Queue<string> arguments)
    {
        string? idTokenFile = null;
        var device = false;
        var force = false;
        var json = false;
        string? writeFiles = null;
        var principals = new List<string>();
        var redirectPort = 0;
        while (arguments.TryDequeue(out var argument))
        {
            switch (argument)
            {
                case "--device":
                    device = true;
                    break;
                case "--id-token-file":
                    idTokenFile = Program.Value(arguments, argument);
                    break;
                case "--redirect-port":
                    redirectPort = int.TryParse(Program.Value(arguments, argument), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536 ? port : throw new UsageException("--redirect-port takes a port number");
                    break;
                case "--force":
                    force = true;
                    break;
                case "--json":
                    json = true;
                    break;
                case "--write-files":
                    writeFiles = Program.Value(arguments, argument);
                    break;
                case "-n" or "--principal":
                    principals.Add(Program.Value(arguments, argument));
                    break;
                default:
                    throw new UsageException($"unexpected '{argument}'");
            }
        }

        var status = json ? Console.Error : Console.Out;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var anonymous = connection.CreateClient();
        var keys = await anonymous.GetCaPublicKeysAsync(new GetCaPublicKeysRequest()).ConfigureAwait(false);
        var userCa = SshPublicKey.ParseLine(keys.UserCaPublicKey);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var agent = SshAgentClient.Connect();
        if (!force && CurrentCertificate(agent, userCa, now) is { } current)
        {
            await status.WriteLineAsync($"Already logged in: a certificate for {string.Join(",", current.Principals)} is in ssh-agent until {Format(current.ValidBefore)} UTC. Use --force for a new one.").ConfigureAwait(false);
            if (json)
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { status = "already-logged-in", principals = current.Principals, serial = current.Serial, validBefore = current.ValidBefore })).ConfigureAwait(false);
            }

            return 0;
        }

        string idToken;
        if (idTokenFile is not null)
        {
            idToken = CliFiles.ReadText(idTokenFile).Trim();
        }
        else
        {
            var settings = await anonymous.GetLoginSettingsAsync(new GetLoginSettingsRequest()).ConfigureAwait(false);
            if (settings.Issuer.Length == 0)
            {
                throw new UsageException("this CA has no SSO login configured (no oidc section); use --id-token-file or a client certificate with sign");
            }

            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(15));
            idToken = device
                ? await OidcSignIn.DeviceAsync(settings.Issuer, settings.ClientId, settings.Scopes, status, cancel.Token).ConfigureAwait(false)
                : await OidcSignIn.BrowserAsync(settings.Issuer, settings.ClientId, settings.Scopes, redirectPort, status, cancel.Token).ConfigureAwait(false);
        }

        var signedIn = System.Diagnostics.Stopwatch.GetTimestamp();
        using var key = Ed25519KeyPair.Generate();
        var request = new SignUserCertificateRequest { PublicKey = key.PublicKey.ToOpenSshLine(), UseDefaultExtensions = true, RequestId = "login" };
        request.Principals.AddRange(principals);
        var issued = (await connection.CreateClient("Bearer " + idToken).SignUserCertificateAsync(request).ConfigureAwait(false)).Certificate;
        var certificate = SshCertificate.ParseLine(issued.Certificate);
        now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (certificate.ValidBefore <= now + 1)
        {
            throw new IOException("the CA issued a certificate that has already expired; check this machine's clock");
        }

        var lifetime = (uint)Math.Min(certificate.ValidBefore - now, uint.MaxValue);
        var comment = CommentPrefix + certificate.KeyId;
        agent.AddEd25519(key.Seed, key.PublicKeyBytes, certificate.Blob.Span, comment, lifetime);
        string? keyPath = null;
        if (writeFiles is not null)
        {
            keyPath = WriteFiles(writeFiles, key, certificate, comment);
        }

        var cliTime = System.Diagnostics.Stopwatch.GetElapsedTime(started) - System.Diagnostics.Stopwatch.GetElapsedTime(started, signedIn);
        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { status = "logged-in", keyId = certificate.KeyId, principals = certificate.Principals, serial = certificate.Serial, validAfter = certificate.ValidAfter, validBefore = certificate.ValidBefore, agentLifetimeSeconds = lifetime, keyFile = keyPath })).ConfigureAwait(false);
        }
        else
        {
            await status.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Logged in as {certificate.KeyId}\n  principals: {string.Join(", ", certificate.Principals)}\n  expires:    {Format(certificate.ValidBefore)} UTC (in {TimeSpan.FromSeconds(lifetime):h\\h\\ mm\\m})\n  serial:     {certificate.Serial}\nThe key and certificate are in ssh-agent until then{(keyPath is null ? string.Empty : $"; also written to {keyPath}")}. ({cliTime.TotalMilliseconds:F0} ms outside the identity provider)")).ConfigureAwait(false);
        }

        return 0;
    }

    public static async Task<int> LogoutAsync(Queue<string> arguments)
    {
        if (arguments.Count > 0)
        {
            throw new UsageException($"unexpected '{arguments.Peek()}'");
        }

        using var agent = SshAgentClient.Connect();
        var removed = agent.List().Where(i => i.Comment.StartsWith(CommentPrefix, StringComparison.Ordinal)).Count(i => agent.Remove(i.Blob));
        await Console.Out.WriteLineAsync(removed == 0 ? "Nothing to remove: no ssh-hsm-ca identity in ssh-agent." : $"Removed {removed} identities (key and certificate) from ssh-agent.").ConfigureAwait(false);
        return 0;
    }

    private static SshCertificate? CurrentCertificate(SshAgentClient agent, SshPublicKey userCa, ulong now)
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

            if (certificate.SignatureKey.Equals(userCa) && certificate.IsValidAt(now + 60))
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

    internal static string Format(ulong unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(unixSeconds, 253402300799UL)).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
