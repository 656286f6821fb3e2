using SshHsmCa.Hsm.Pkcs11;

namespace SshHsmCa.Hsm.Tests;

public class Pkcs11PoolSizingTests
{
    private const ulong Unlimited = 0; // CK_EFFECTIVELY_INFINITE
    private const ulong Unavailable = ulong.MaxValue; // CK_UNAVAILABLE_INFORMATION

    [Theory]
    [InlineData(false, Unlimited, 2, 2)] // SoftHSM on two cores: one session per core
    [InlineData(false, Unavailable, 8, 8)]
    [InlineData(true, Unlimited, 2, Pkcs11PoolSizing.WaitingModuleSessions)] // a network HSM: many in flight
    [InlineData(true, Unlimited, 64, 128)] // never fewer than two per core
    [InlineData(true, 10, 2, 9)] // within the token's limit, one kept for the anchor session
    [InlineData(false, 2, 8, 1)]
    [InlineData(true, 1000, 512, Pkcs11PoolSizing.MaxPoolSize)]
    public void TheDefaultFitsTheModule(bool waits, ulong maxSessions, int processors, int expected) =>
        Assert.Equal(expected, Pkcs11PoolSizing.Size(null, waits, maxSessions, processors));

    [Theory]
    [InlineData(4, false, Unlimited, 4)]
    [InlineData(4, true, Unlimited, 4)] // what the operator set wins over the kind of module
    [InlineData(64, true, 17, 16)] // but not over the token's limit
    public void AConfiguredSizeIsKeptWithinTheTokensLimit(int configured, bool waits, ulong maxSessions, int expected) =>
        Assert.Equal(expected, Pkcs11PoolSizing.Size(configured, waits, maxSessions, 2));

    [Theory]
    [InlineData(8 * 2000, 8 * 30, true)] // 2 ms a call, almost none of it on this thread: a round trip
    [InlineData(8 * 2000, 8 * 1900, false)] // 2 ms a call, all CPU: a slow module that computes
    [InlineData(8 * 5, 8 * 5, false)] // SoftHSM's C_GetSessionInfo: microseconds
    [InlineData(8 * 150, 0, false)] // fast, even if off the CPU: not worth more sessions
    public void AModuleWaitsWhenItsCallsAreSlowAndOffTheCpu(long wallMicros, long cpuMicros, bool waits) =>
        Assert.Equal(waits, Pkcs11PoolSizing.Waits(TimeSpan.FromMicroseconds(wallMicros), TimeSpan.FromMicroseconds(cpuMicros), 8));
}
