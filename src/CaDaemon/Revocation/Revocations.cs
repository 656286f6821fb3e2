using System.Globalization;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Policy;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.CaDaemon.Revocation;

/// <summary>
/// Taking trust back: a selector (serials; everything issued with a key id, for a principal or to
/// a caller, optionally since a time; a key; a key fingerprint; a whole CA key) is resolved
/// through the audit log into KRL entries before anything is written, then recorded durably with
/// who, when and why, in one write that also starts a new KRL version.
/// </summary>
internal sealed partial class Revocations(IRevocationStore audit, ICertificateStore issued, TimeProvider time, ILogger<Revocations> logger, JournalAuditEvents? journal = null, Action? recordedHook = null)
{
    /// <summary>The most serials one request names, and the most certificates a key id, principal or caller selector may cover.</summary>
    public const int MaxSerials = 10_000;

    /// <summary>The most certificates a key id, principal or caller selector may resolve to.</summary>
    public const int MaxResolved = 100_000;

    /// <exception cref="InvalidRequestException">No or several selectors, a malformed one, or no reason.</exception>
    /// <exception cref="RefusedException">The selector matches nothing this CA issued.</exception>
    public async Task<RevokeOutcome> RevokeAsync(CallerIdentity caller, string sourceAddress, RevokeSelector selector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(selector);
        Validate(selector);
        var (items, certificates, description) = await ResolveAsync(selector, cancellationToken).ConfigureAwait(false);
        var revocation = new RevocationRecord
        {
            CreatedAt = (ulong)time.GetUtcNow().ToUnixTimeSeconds(),
            Caller = caller.Name,
            AuthMethod = caller.Method,
            SourceAddress = sourceAddress,
            Reason = selector.Reason,
            Selector = description,
            Items = items,
        };
        if (selector.DryRun)
        {
            return new RevokeOutcome(revocation, certificates, await audit.KrlVersionAsync(cancellationToken).ConfigureAwait(false));
        }

        var recorded = await audit.RecordRevocationAsync(revocation, CancellationToken.None).ConfigureAwait(false);
        LogRevoked(logger, recorded.Id, caller.Name, description, items.Count, recorded.KrlVersion, selector.Reason);
        journal?.Send(4, $"revocation {recorded.Id} by {caller.Name}: {description}", [
            ("OUTCOME", "revoked"),
            ("REVOCATION_ID", recorded.Id.ToString(CultureInfo.InvariantCulture)),
            ("CALLER", caller.Name),
            ("AUTH_METHOD", AuthMethods.Name(caller.Method)),
            ("REVOKED", string.Join(' ', items.Select(i => SqlAuditStore.KindName(i.Kind) + ":" + i.Value))),
            ("KRL_VERSION", recorded.KrlVersion.ToString(CultureInfo.InvariantCulture)),
            ("REASON", selector.Reason),
        ]);
        // A new KRL version gets its signed checkpoint of the issuance log now, not at the next period.
        recordedHook?.Invoke();
        return new RevokeOutcome(recorded, certificates, recorded.KrlVersion);
    }

    private static void Validate(RevokeSelector s)
    {
        var violations = new List<FieldViolation>();
        var given = new (string Field, bool Set)[]
        {
            ("serials", s.Serials.Count > 0), ("key_id", s.KeyId.Length > 0), ("principal", s.Principal.Length > 0), ("caller", s.Caller.Length > 0),
            ("public_key", s.PublicKey.Length > 0), ("key_fingerprint", s.KeyFingerprint.Length > 0), ("ca_public_key", s.CaPublicKey.Length > 0),
        }.Where(g => g.Set).Select(g => g.Field).ToList();
        if (given.Count != 1)
        {
            violations.Add(new("serials", given.Count == 0
                ? "name what to revoke: serials, key_id, principal, caller, public_key, key_fingerprint or ca_public_key"
                : $"exactly one selector, not {string.Join(" and ", given)}"));
        }

        if (s.IssuedSince != 0 && s.KeyId.Length == 0 && s.Principal.Length == 0 && s.Caller.Length == 0)
        {
            violations.Add(new("issued_since", "applies to key_id, principal and caller only"));
        }

        if (s.Serials.Count > MaxSerials)
        {
            violations.Add(new("serials", $"{s.Serials.Count} serials; at most {MaxSerials} per request"));
        }
        else if (s.Serials.Where(v => v == 0 || v > long.MaxValue).Select(v => (ulong?)v).FirstOrDefault() is { } bad)
        {
            violations.Add(new("serials", bad == 0 ? "serial 0 is never matched by sshd: give the non-zero serials" : $"{bad} is above 2^63-1, which this CA never issues"));
        }

        foreach (var (field, value) in new[] { ("key_id", s.KeyId), ("principal", s.Principal), ("caller", s.Caller) })
        {
            if (value.Length > 1024 || value.Any(char.IsControl))
            {
                violations.Add(new(field, "at most 1024 characters, no control characters"));
            }
        }

        if (s.Reason.Trim().Length == 0 || s.Reason.Length > 500 || s.Reason.Any(char.IsControl))
        {
            violations.Add(new("reason", "required: why, in at most 500 characters without control characters"));
        }

        if (violations.Count > 0)
        {
            throw new InvalidRequestException(violations);
        }
    }

    private async Task<(IReadOnlyList<RevokedItem> Items, IReadOnlyList<AuditRecord> Certificates, string Description)> ResolveAsync(RevokeSelector s, CancellationToken cancellationToken)
    {
        var types = s.Scope switch
        {
            RevokeScope.User => new[] { SshCertificateType.User },
            RevokeScope.Host => [SshCertificateType.Host],
            _ => [SshCertificateType.User, SshCertificateType.Host],
        };
        var scope = s.Scope == RevokeScope.Both ? string.Empty : $" ({AuditNames.Name(types[0])} CA)";
        if (s.Serials.Count > 0)
        {
            var certificates = new List<AuditRecord>();
            var serials = new List<(SshCertificateType Ca, ulong Serial)>();
            foreach (var serial in s.Serials.Distinct())
            {
                if (await issued.GetAsync(serial, cancellationToken).ConfigureAwait(false) is { Outcome: AuditOutcome.Issued } record)
                {
                    if (types.Contains(record.Type))
                    {
                        certificates.Add(record);
                        serials.Add((record.Type, serial));
                    }
                }
                else
                {
                    // Not in this CA's log (or never issued): revoked for every CA in scope all the same.
                    serials.AddRange(types.Select(t => (t, serial)));
                }
            }

            if (serials.Count == 0)
            {
                throw new RefusedException(Refusal.NothingToRevoke, $"serials {string.Join(", ", s.Serials.Take(5))}: issued by the other CA than the one named");
            }

            return (Ranges(serials), certificates, "serials " + Quoted.Short(string.Join(",", s.Serials.Take(50)), 200) + scope);
        }

        if (s.KeyId.Length > 0 || s.Principal.Length > 0 || s.Caller.Length > 0)
        {
            var query = new CertificateQuery(NullIfEmpty(s.KeyId), NullIfEmpty(s.Principal), NullIfEmpty(s.Caller), s.IssuedSince, types);
            var found = await issued.FindIssuedAsync(query, MaxResolved + 1, cancellationToken).ConfigureAwait(false);
            var (field, what) = s.KeyId.Length > 0 ? ("key_id", $"key id '{s.KeyId}'") : s.Principal.Length > 0 ? ("principal", $"principal '{s.Principal}'") : ("caller", $"caller '{s.Caller}'");
            var since = s.IssuedSince == 0 ? string.Empty : " since " + DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(s.IssuedSince, 253402300799UL)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            if (found.Count > MaxResolved)
            {
                throw new InvalidRequestException(field, $"{what}{since} covers more than {MaxResolved} certificates: narrow it with issued_since");
            }

            if (found.Count == 0)
            {
                throw new RefusedException(Refusal.NothingToRevoke, $"this CA issued no certificate with {what}{since}{scope}");
            }

            return (Ranges([.. found.Select(r => (r.Type, r.Serial))]), found, $"every certificate with {what}{since}{scope}");
        }

        if (s.KeyFingerprint.Length > 0)
        {
            _ = ParseFingerprint(s.KeyFingerprint);
            return ([new RevokedItem(RevokedKind.KeySha256, null, 0, 0, s.KeyFingerprint, s.KeyFingerprint)], [], $"key {s.KeyFingerprint}");
        }

        var isCa = s.CaPublicKey.Length > 0;
        var key = ParseKey(isCa ? s.CaPublicKey : s.PublicKey, isCa ? "ca_public_key" : "public_key");
        var fingerprint = key.GetSha256Fingerprint();
        return ([new RevokedItem(isCa ? RevokedKind.CaKey : RevokedKind.Key, null, 0, 0, key.ToOpenSshLine(), fingerprint)], [], (isCa ? "CA key " : "key ") + fingerprint);
    }

    private static byte[] ParseFingerprint(string text)
    {
        const string Prefix = "SHA256:";
        if (text.StartsWith(Prefix, StringComparison.Ordinal) && text.Length == Prefix.Length + 43)
        {
            try
            {
                return Convert.FromBase64String(text[Prefix.Length..] + "=");
            }
            catch (FormatException)
            {
            }
        }

        throw new InvalidRequestException("key_fingerprint", "a SHA256 fingerprint as ssh-keygen -l prints it (SHA256: and 43 base64 characters)");
    }

    private static SshPublicKey ParseKey(string line, string field)
    {
        try
        {
            return line.Contains("-cert-v01@openssh.com", StringComparison.Ordinal) ? SshCertificate.ParseLine(line).PublicKey : SshPublicKey.ParseLine(line);
        }
        catch (SshFormatException e)
        {
            throw new InvalidRequestException(field, e.Message);
        }
    }

    /// <summary>The serials of each CA as coalesced ranges.</summary>
    private static List<RevokedItem> Ranges(List<(SshCertificateType Ca, ulong Serial)> serials)
    {
        var items = new List<RevokedItem>();
        foreach (var group in serials.GroupBy(s => s.Ca).OrderBy(g => g.Key == SshCertificateType.User ? 0 : 1))
        {
            var sorted = group.Select(s => s.Serial).Distinct().Order().ToList();
            var lo = sorted[0];
            var hi = lo;
            foreach (var serial in sorted.Skip(1))
            {
                if (serial == hi + 1)
                {
                    hi = serial;
                    continue;
                }

                items.Add(RevokedItem.Serials(group.Key, lo, hi));
                lo = hi = serial;
            }

            items.Add(RevokedItem.Serials(group.Key, lo, hi));
        }

        return items;
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "revocation {Id} by {Caller}: {Selector}, {Items} KRL entries, KRL version {Version}; reason: {Reason}")]
    private static partial void LogRevoked(ILogger logger, ulong id, string caller, string selector, int items, ulong version, string reason);
}
