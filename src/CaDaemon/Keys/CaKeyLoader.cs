using System.Security.Cryptography;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Hsm;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.CaDaemon.Keys;

/// <summary>
/// Turns the configuration's CA keys into a key set, at start and at every reload, checked the
/// same way: every next and active key opened on its device and matched against its expected
/// public key (a key already open under the same name and URI is reused: a YubiKey slot or a
/// token session is not opened twice), every retired and revoked key resolved to its public key.
/// Any problem refuses the whole set, naming the key; keys it opened are closed again.
/// </summary>
/// <param name="audit">Remembers every key opened, so a retired key may later be named by fingerprint.</param>
/// <param name="open">Opens one device key (the configured backends; a test hands in software keys).</param>
/// <param name="time">The clock of the remembered keys' first sighting.</param>
internal sealed class CaKeyLoader(IKeyStateStore audit, Func<string, CaKeyOptions, ICaKey> open, TimeProvider time)
{
    /// <summary>Opens a configured key on its device: its PIN from its credential or file, zeroed after.</summary>
    public static ICaKey OpenConfigured(CaKeyOptions key, Microsoft.Extensions.Logging.ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(key);
        var pin = key.PinCredential is not null ? PinSource.ReadCredential(key.PinCredential) : PinSource.ReadFile(key.PinFile!);
        try
        {
            var spec = new CaKeySpec
            {
                Uri = key.Uri!,
                ExpectedPublicKey = key.ExpectedPublicKey,
                PoolSize = (key.Pkcs11 ?? new()).PoolSize,
                RequireGeneratedOnDevice = (key.Piv ?? new()).RequireGeneratedOnDevice,
                TouchTimeout = TimeSpan.FromSeconds((key.Piv ?? new()).TouchTimeoutSeconds),
            };
            return CaKeys.Open(spec, pin, loggers);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pin);
        }
    }

    /// <summary>The key set the configuration describes, reusing what <paramref name="current"/> has open.</summary>
    /// <exception cref="InvalidOperationException">A key cannot be opened or resolved, or the set is not one; the message names each problem.</exception>
    /// <param name="keysOf">The configured keys of the user CA (true) or the host CA (false), by name.</param>
    /// <param name="current">The key set in force (a reload), whose open keys are reused.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task<IReadOnlyList<CaKeyEntry>> LoadAsync(Func<bool, IReadOnlyList<KeyValuePair<string, CaKeyOptions>>> keysOf, CaKeySet? current, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keysOf);
        var entries = new List<CaKeyEntry>();
        var opened = new List<ICaKey>();
        var problems = new List<string>();
        try
        {
            foreach (var user in new[] { true, false })
            {
                var ca = user ? SshCertificateType.User : SshCertificateType.Host;
                foreach (var (name, key) in keysOf(user))
                {
                    var path = $"{(user ? "user" : "host")} CA key {name}";
                    var state = key.State is null ? CaKeyState.Active : TrustSet.ParseState(key.State) ?? CaKeyState.Active;
                    try
                    {
                        if (state is CaKeyState.Next or CaKeyState.Active)
                        {
                            var reuse = current?.Entries.FirstOrDefault(e => e.Ca == ca && e.Name == name && e.Device is not null && string.Equals(e.Uri, key.Uri, StringComparison.Ordinal));
                            ICaKey device;
                            if (reuse is not null)
                            {
                                ExpectedKey.Check(path, reuse.PublicKey, key.ExpectedPublicKey);
                                device = reuse.Device!;
                            }
                            else
                            {
                                device = open(name, key);
                                opened.Add(device);
                                ExpectedKey.Check(path, device.PublicKey, key.ExpectedPublicKey);
                            }

                            entries.Add(new CaKeyEntry(name, ca, state, device.PublicKey, device) { Uri = key.Uri });
                        }
                        else
                        {
                            // A key that was open under this name (it signed until now) needs no more than its state.
                            var known = string.IsNullOrWhiteSpace(key.ExpectedPublicKey) ? current?.Entries.FirstOrDefault(e => e.Ca == ca && e.Name == name) : null;
                            entries.Add(new CaKeyEntry(name, ca, state, known?.PublicKey ?? await ResolveAsync(path, key.ExpectedPublicKey, current, cancellationToken).ConfigureAwait(false), null) { RevocationReason = key.RevocationReason });
                        }
                    }
                    catch (Exception e) when (e is HsmException or SshFormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
                    {
                        problems.Add($"{path}: {e.Message}");
                    }
                }
            }

            if (problems.Count == 0)
            {
                problems.AddRange(CaKeySet.Problems(entries));
            }

            if (problems.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", problems));
            }

            var now = (ulong)time.GetUtcNow().ToUnixTimeSeconds();
            await audit.RememberCaKeysAsync([.. entries.Select(e => new CaKeyRecord(e.Fingerprint, e.Ca, e.Name, e.PublicKey.ToOpenSshLine(), now))], cancellationToken).ConfigureAwait(false);
            return entries;
        }
        catch
        {
            foreach (var key in opened)
            {
                await key.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>A retired or revoked key's public key: its OpenSSH line, or a fingerprint this CA remembers.</summary>
    private async Task<SshPublicKey> ResolveAsync(string path, string? expected, CaKeySet? current, CancellationToken cancellationToken)
    {
        expected = expected?.Trim() ?? string.Empty;
        if (expected.Length == 0)
        {
            throw new InvalidOperationException("a retired or revoked key this daemon does not hold open is its public key: set expectedPublicKey (an OpenSSH line, or the fingerprint of a key this CA has opened)");
        }

        if (!expected.StartsWith("SHA256:", StringComparison.Ordinal))
        {
            return SshPublicKey.ParseLine(expected);
        }

        if (current?.Entries.FirstOrDefault(e => e.Fingerprint == expected) is { } known)
        {
            return known.PublicKey;
        }

        return await audit.FindCaKeyAsync(expected, cancellationToken).ConfigureAwait(false) is { } remembered
            ? SshPublicKey.ParseLine(remembered.PublicKey)
            : throw new InvalidOperationException($"expectedPublicKey {expected}: this CA has never opened that key, so the fingerprint alone cannot name it; give its OpenSSH public key line");
    }
}
