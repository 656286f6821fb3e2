using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace SshHsmCa.Tests.Shared;

/// <summary>
/// A network link with a fixed one-way delay, between two Unix sockets: every chunk read on one
/// side is written on the other <c>oneWay</c> after it arrived, in order, both ways, with
/// unlimited bandwidth and nothing held back (so several requests are in flight at once, as on a
/// real link). It stands in for <c>tc qdisc … netem delay</c>, which this machine's kernel
/// does not have (CONFIG_NET_SCH_NETEM is not set). Used to put a PKCS#11 module a round trip away.
/// </summary>
internal sealed partial class DelayLine : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _target;
    private readonly TimeSpan _oneWay;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly Lock _lock = new();
    private readonly Task _accepting;

    /// <summary>Listens on <paramref name="path"/>; each connection is forwarded to <paramref name="target"/>.</summary>
    public DelayLine(string path, string target, TimeSpan oneWay)
    {
        _target = target;
        _oneWay = oneWay;
        Path = path;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(64);
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The socket clients connect to.</summary>
    public string Path { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await server.ConnectAsync(new UnixDomainSocketEndPoint(_target));
            }
            catch (SocketException)
            {
                // Nothing listens at the far end (the server is down): the caller sees the link close.
                server.Dispose();
                client.Dispose();
                continue;
            }

            lock (_lock)
            {
                _tasks.Add(PumpAsync(client, server));
                _tasks.Add(PumpAsync(server, client));
            }
        }
    }

    /// <summary>One direction: a reader stamping each chunk, a thread releasing it when due.</summary>
    private async Task PumpAsync(Socket from, Socket to)
    {
        var queue = Channel.CreateUnbounded<(long Due, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var delay = (long)(_oneWay.TotalSeconds * Stopwatch.Frequency);
        var writer = new Thread(() =>
        {
            try
            {
                while (queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    while (queue.Reader.TryRead(out var chunk))
                    {
                        var wait = chunk.Due - Stopwatch.GetTimestamp();
                        if (wait > 0)
                        {
                            _ = usleep((uint)Math.Max(1, wait * 1_000_000 / Stopwatch.Frequency));
                        }

                        to.Send(chunk.Bytes);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                try
                {
                    to.Shutdown(SocketShutdown.Send);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }
        })
        { IsBackground = true, Name = "delay line" };
        writer.Start();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    break;
                }

                queue.Writer.TryWrite((Stopwatch.GetTimestamp() + delay, buffer[..n]));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            queue.Writer.TryComplete();
        }

        await Task.Run(writer.Join);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] tasks;
        lock (_lock)
        {
            tasks = [.. _tasks];
        }

        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(5)));
        _stop.Dispose();
        File.Delete(Path);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int usleep(uint microseconds);
}
