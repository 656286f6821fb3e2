using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// Every error the API returns, in one shape (ca.proto lists them per RPC): the status code, a
/// sentence, and in <c>grpc-status-details-bin</c> a <c>google.rpc.ErrorInfo</c> with a stable
/// UPPER_SNAKE_CASE <c>reason</c> and the domain <see cref="Domain"/>, followed by the specific
/// detail where one applies (BadRequest, PreconditionFailure). Clients branch on the reason, never
/// on the sentence.
/// </summary>
internal static class RpcErrors
{
    /// <summary>The ErrorInfo domain of every error.</summary>
    public const string Domain = "sshhsmca.v1";

    public static RpcException Create(StatusCode code, string reason, string message, IMessage? detail = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var info = new ErrorInfo { Reason = reason, Domain = Domain };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>(StringComparer.Ordinal))
        {
            info.Metadata[key] = value;
        }

        var status = new Google.Rpc.Status { Code = (int)code, Message = message, Details = { Any.Pack(info) } };
        if (detail is not null)
        {
            status.Details.Add(Any.Pack(detail));
        }

        return status.ToRpcException();
    }

    public static RpcException Unauthenticated(string reason, string message) => Create(StatusCode.Unauthenticated, reason, message);
}
