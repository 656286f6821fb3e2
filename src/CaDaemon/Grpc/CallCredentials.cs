using System.Net.Sockets;
using System.Runtime.InteropServices;
using Grpc.Core;
using Microsoft.AspNetCore.Connections.Features;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// What a call presents, taken from the transport: the authorization header, the connection's
/// identity (<see cref="PeerIdentity"/>) and the peer. The identity belongs to the connection, so
/// it is worked out once per connection, not per request: /etc/passwd and /etc/group are not
/// read again for every call on the socket.
/// </summary>
internal static class CallCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>The credentials of <paramref name="context"/>'s call.</summary>
    public static Credentials Of(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        return new Credentials(http.Request.Headers.Authorization.ToString(), ConnectionIdentity(http), context.Peer);
    }

    /// <remarks>
    /// The connection's items are one plain dictionary shared by every stream of an HTTP/2
    /// connection, and streams run concurrently: reads and the first write happen under a lock on
    /// it (without one, 300 parallel calls on one channel corrupted it: INTERNAL, seen in CI).
    /// </remarks>
    private static CallerIdentity? ConnectionIdentity(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is null)
        {
            return Identify(context);
        }

        lock (items)
        {
            if (items.TryGetValue(typeof(CallerIdentity), out var cached))
            {
                return (CallerIdentity)cached!;
            }

            var caller = Identify(context);
            if (caller is not null)
            {
                items[typeof(CallerIdentity)] = caller;
            }

            return caller;
        }
    }

    private static CallerIdentity? Identify(HttpContext context)
    {
        if (context.Connection.ClientCertificate is { } certificate)
        {
            return PeerIdentity.FromCertificate(certificate);
        }

        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is not { AddressFamily: AddressFamily.Unix })
        {
            return null;
        }

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } on Linux.
        Span<byte> credentials = stackalloc byte[12];
        return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == 12
            ? PeerIdentity.FromUnixPeer(MemoryMarshal.Read<uint>(credentials[4..]), MemoryMarshal.Read<uint>(credentials[8..]))
            : null;
    }
}
