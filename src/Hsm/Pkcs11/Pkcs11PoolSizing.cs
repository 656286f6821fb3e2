using System.Diagnostics;
using System.Runtime.InteropServices;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// The session pool's size when the configuration leaves it out (issue 19, goal 4): a module
/// that computes on the calling thread (SoftHSM, a library HSM) gains nothing from more sessions
/// than cores; a module that waits for its device (a network HSM, p11-kit's RPC client) keeps
/// as many signatures in flight as it has sessions, so it gets many, within the token's
/// <c>ulMaxSessionCount</c>. Which kind a module is, is measured when the key opens: a few
/// <c>C_GetSessionInfo</c> calls, their wall time against this thread's CPU time.
/// </summary>
public static partial class Pkcs11PoolSizing
{
    /// <summary>Sessions for a module that waits for its device, when the token allows as many.</summary>
    public const int WaitingModuleSessions = 32;

    /// <summary>The most sessions a pool opens, configured or not.</summary>
    public const int MaxPoolSize = 256;

    private const int ProbeCalls = 8;

    /// <summary>A module whose calls take longer than this, mostly off the CPU, waits for a device.</summary>
    private static readonly TimeSpan WaitingCall = TimeSpan.FromMicroseconds(200);

    /// <summary>
    /// The pool size: <paramref name="configured"/> if set, else the core count for a module that
    /// computes, <see cref="WaitingModuleSessions"/> for one that waits; never more than the
    /// token's session limit less one (the anchor session).
    /// </summary>
    public static int Size(int? configured, bool moduleWaits, ulong maxSessionCount, int processors)
    {
        var size = configured ?? (moduleWaits ? Math.Max(WaitingModuleSessions, 2 * processors) : processors);
        if (maxSessionCount is > 1 and < ulong.MaxValue / 2)
        {
            size = (int)Math.Min((ulong)size, maxSessionCount - 1);
        }

        return Math.Clamp(size, 1, MaxPoolSize);
    }

    /// <summary>Whether a module waits rather than computes, from calls that took <paramref name="wall"/> and <paramref name="cpu"/> of this thread.</summary>
    public static bool Waits(TimeSpan wall, TimeSpan cpu, int calls) =>
        calls > 0 && wall / calls > WaitingCall && cpu < wall / 2;

    /// <summary>Times <c>C_GetSessionInfo</c> on <paramref name="session"/>: the module's answer time, and how much of it was this thread's CPU.</summary>
    public static (bool Waits, TimeSpan PerCall) Probe(ISession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.GetSessionInfo(); // the first call may load or connect
        var cpuBefore = ThreadCpuTime();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < ProbeCalls; i++)
        {
            session.GetSessionInfo();
        }

        var wall = Stopwatch.GetElapsedTime(started);
        var cpu = ThreadCpuTime() - cpuBefore;
        return (Waits(wall, cpu, ProbeCalls), wall / ProbeCalls);
    }

    /// <summary>This thread's CPU time (getrusage RUSAGE_THREAD; zero where it is unavailable, which reads as "waits" only for slow calls).</summary>
    private static TimeSpan ThreadCpuTime()
    {
        const int RusageThread = 1;
        if (getrusage(RusageThread, out var usage) != 0)
        {
            return TimeSpan.Zero;
        }

        return TimeSpan.FromMicroseconds((usage.UserSeconds * 1_000_000.0) + usage.UserMicros + (usage.SystemSeconds * 1_000_000.0) + usage.SystemMicros);
    }

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
        public fixed long Rest[14];
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, out RUsage usage);
}
