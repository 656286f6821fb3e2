using SshHsmCa.Hsm;

namespace SshHsmCa.CaDaemon.Failures;

/// <summary>
/// What a domain service refuses or fails with, as a value: the gRPC layer maps each case to a
/// status code in one table (<c>Grpc/StatusTable</c>), for single calls and batch entries alike.
/// Device failures stay <see cref="HsmException"/>s and go through the same table.
/// </summary>
internal abstract class CaFailure : Exception
{
    private protected CaFailure(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
