using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SshHsmCa.Hsm.Piv;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>
/// The real pcscd with vsmartcard's vpcd driver, started for the PIV tests (vsmartcard's vpcd documentation).
/// pcscd runs in a network namespace of its own (only a loopback inside), so vpcd's listener on
/// all interfaces is reachable from nowhere but the card sockets this fixture makes inside that
/// namespace. Its client socket is the machine's /run/pcscd/pcscd.comm, so every PC/SC client
/// (our backend, yubico-piv-tool, ykcs11) sees the reader. One pcscd per machine: the fixture
/// refuses to start beside another one.
/// </summary>
public sealed partial class Pcscd : IDisposable
{
    /// <summary>The reader's name: ykcs11 2.2.0 lists only readers named "Yubico…".</summary>
    public const string ReaderName = "Yubico YubiKey vpcd 00 00";
    private const string Socket = "/run/pcscd/pcscd.comm";
    private readonly TempDir _dir = new("sshhsmca-pcscd-");
    private readonly Process _process;
    private readonly StreamWriter _log;

    public Pcscd()
    {
        Tools.Require("/usr/sbin/pcscd");
        Tools.Require("/usr/lib/pcsc/drivers/serial/libifdvpcd.so");
        Tools.Require("/usr/bin/unshare");
        Tools.Require("/usr/sbin/ip");
        if (Process.GetProcessesByName("pcscd").Length > 0)
        {
            throw new InvalidOperationException("another pcscd is running; the PIV tests start their own (stop it: pkill pcscd)");
        }

        var conf = Path.Combine(_dir.Path, "reader.conf.d");
        Directory.CreateDirectory(conf);
        File.WriteAllText(Path.Combine(conf, "vpcd"), """
            FRIENDLYNAME "Yubico YubiKey vpcd"
            DEVICENAME   /dev/null:0x8C7B
            LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
            CHANNELID    0x8C7B

            """);
        Log = Path.Combine(_dir.Path, "pcscd.log");
        var start = new ProcessStartInfo("/usr/bin/unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--net", "--", "/bin/sh", "-c", $"ip link set lo up && exec /usr/sbin/pcscd -f -c '{conf}'" })
        {
            start.ArgumentList.Add(a);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("pcscd did not start");
        var log = _log = new StreamWriter(Log) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"pcscd exited with {_process.ExitCode}: {File.ReadAllText(Log)}");
            }

            if (File.Exists(Socket))
            {
                try
                {
                    if (PcscCard.ListReaders().Contains(ReaderName))
                    {
                        break;
                    }
                }
                catch (Hsm.HsmException)
                {
                    // Not ready yet.
                }
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                Dispose();
                throw new InvalidOperationException($"pcscd did not list '{ReaderName}' within 20 s: {File.ReadAllText(Log)}");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>pcscd's output, for failure messages.</summary>
    public string Log { get; }

    /// <summary>A TCP connection to vpcd made inside pcscd's network namespace (a card "in the reader").</summary>
    public Socket ConnectCard(int port = 0x8C7B)
    {
        Socket? result = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                // setns moves only this thread; the socket keeps the namespace it was made in.
                using var ns = File.OpenHandle($"/proc/{_process.Id}/ns/net");
                if (setns(ns.DangerousGetHandle().ToInt32(), 0x40000000) != 0)
                {
                    throw new InvalidOperationException($"setns failed: errno {Marshal.GetLastPInvokeError()}");
                }

                var deadline = Stopwatch.StartNew();
                while (true)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        socket.Connect(IPAddress.Loopback, port);
                        result = socket;
                        return;
                    }
                    catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
                    {
                        socket.Dispose();
                        Thread.Sleep(50);
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return result ?? throw new InvalidOperationException($"could not reach vpcd on port {port}", failure);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(); // after Kill: also drains the output events before the log closes
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }

        _dir.Dispose();
    }
}
