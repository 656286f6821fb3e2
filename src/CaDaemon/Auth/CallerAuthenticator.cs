using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// Step 1 of the pipeline: who is calling. A TLS client certificate (already validated by Kestrel
/// against the configured client CA) or the peer credentials of the operator Unix socket
/// (SO_PEERCRED). Anything else is not a caller.
/// </summary>
internal static class CallerAuthenticator
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>
    /// The caller, or null when the connection carries no identity. The identity belongs to the
    /// connection (its certificate or its peer), so it is worked out once per connection, not
    /// per request: /etc/passwd and /etc/group are not read again for every call on the socket.
    /// </summary>
    public static CallerIdentity? Authenticate(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items?.TryGetValue(typeof(CallerIdentity), out var cached) == true)
        {
            return (CallerIdentity)cached!;
        }

        var caller = Identify(context);
        if (caller is not null && items is not null)
        {
            items[typeof(CallerIdentity)] = caller;
        }

        return caller;
    }

    private static CallerIdentity? Identify(HttpContext context)
    {
        if (context.Connection.ClientCertificate is { } certificate)
        {
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

        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is { AddressFamily: AddressFamily.Unix })
        {
            // struct ucred { pid_t pid; uid_t uid; gid_t gid; } on Linux.
            Span<byte> credentials = stackalloc byte[12];
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) != 12)
            {
                return null;
            }

            var uid = MemoryMarshal.Read<uint>(credentials[4..]);
            var gid = MemoryMarshal.Read<uint>(credentials[8..]);
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

        return null;
    }
}
