using System.Net.Sockets;
using System.Text;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// sd_notify(3): one datagram to <c>$NOTIFY_SOCKET</c> (a path, or <c>@name</c> in the abstract
/// namespace). Used for WATCHDOG=1, which Microsoft.Extensions.Hosting.Systemd does not send, and
/// for READY/STOPPING when the process was started by something other than systemd's PID 1 with a
/// notify socket (the package only notifies when its parent is systemd).
/// </summary>
internal static class SdNotify
{
    public static bool IsAvailable => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public static void Send(string state)
    {
        var path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        if (path[0] == '@')
        {
            path = "\0" + path[1..];
        }

        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(path));
    }
}
