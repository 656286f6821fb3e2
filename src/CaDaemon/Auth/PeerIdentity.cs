using System.Security.Cryptography.X509Certificates;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Who a connection is: a TLS client certificate (already validated by the listener against the
/// configured client CA and for clientAuth), or the peer credentials of the operator Unix socket
/// (SO_PEERCRED's uid and gid, named from the account database).
/// </summary>
internal static class PeerIdentity
{
    /// <summary>The caller a verified client certificate names.</summary>
    public static CallerIdentity FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var sans = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToArray();
        return new CallerIdentity
        {
            Method = AuthMethod.MutualTls,
            Name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } cn ? cn : certificate.Subject,
            TlsSubject = certificate.Subject,
            TlsSubjectAlternativeNames = sans,
            CredentialExpiresAt = (ulong)new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(),
        };
    }

    /// <summary>The caller on the other end of the operator socket.</summary>
    public static CallerIdentity FromUnixPeer(uint uid, uint gid)
    {
        var (user, groups, gids) = UnixAccounts.Lookup(uid, gid);
        return new CallerIdentity
        {
            Method = AuthMethod.UnixSocket,
            Name = user ?? $"uid:{uid}",
            Uid = uid,
            Gids = gids,
            UserName = user,
            GroupNames = groups,
        };
    }
}
