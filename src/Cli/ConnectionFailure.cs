using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;

namespace SshHsmCa.Cli;

/// <summary>
/// Turns gRPC's "Error starting gRPC call" chains into one sentence that names the address and
/// the cause: nothing listening, no socket, TLS refused (and why), not HTTP/2.
/// </summary>
internal static class ConnectionFailure
{
    /// <summary>The sentence, or null when <paramref name="e"/> is not a failure to reach the CA.</summary>
    public static string? Describe(RpcException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.StatusCode is not (StatusCode.Unavailable or StatusCode.Internal) || e.Status.DebugException is not { } cause)
        {
            return null;
        }

        var where = Connection.Current?.Describe() ?? "the CA";

        // This side's own reason to refuse the server's certificate says most.
        if (Connection.Current?.TlsProblem is { } problem)
        {
            return $"cannot reach {where}: TLS refused: {problem}";
        }

        for (var inner = cause; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return $"cannot reach {where}: nothing is listening there (is ssh-hsm-ca.service running, and is the port right?)";
                case SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported } when Connection.Current?.Socket is { } path:
                    return $"cannot reach {where}: {(File.Exists(path) ? "it is not a socket the CA listens on" : "no such socket")}";
                case SocketException { SocketErrorCode: SocketError.AccessDenied } when Connection.Current?.Socket is not null:
                    return $"cannot reach {where}: permission denied (the socket is for the ssh-hsm-ca group)";
                case SocketException socket:
                    return $"cannot reach {where}: {socket.Message}";
                case AuthenticationException tls:
                    return $"cannot reach {where}: TLS handshake failed: {tls.Message}";
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }:
                    return $"cannot reach {where}: TLS handshake failed (a client certificate refused, or not a TLS listener)";
                case HttpProtocolException or HttpIOException when where.StartsWith("http://", StringComparison.Ordinal):
                    return $"cannot reach {where}: it does not speak plain HTTP/2 (the CA's listener is TLS: use https://)";
                case HttpIOException io:
                    return $"cannot reach {where}: the connection broke ({io.HttpRequestError}); is it the CA's TLS port?";
                default:
                    break;
            }
        }

        // Plain HTTP/2 against the TLS listener fails in the HTTP/2 preface; depending on timing that
        // is a protocol error (above) or "the server did not complete the HTTP/2 handshake" (INTERNAL).
        if (where.StartsWith("http://", StringComparison.Ordinal) && cause is HttpRequestException)
        {
            return $"cannot reach {where}: it does not speak plain HTTP/2 (the CA's listener is TLS: use https://)";
        }

        return e.StatusCode == StatusCode.Unavailable ? $"cannot reach {where}: {cause.GetBaseException().Message}" : null;
    }
}
