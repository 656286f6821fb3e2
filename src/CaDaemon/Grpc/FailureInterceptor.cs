using Grpc.Core;
using Grpc.Core.Interceptors;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// Turns what a handler throws into the API's status: a domain failure (a malformed request, a
/// policy denial, a refusal, a device failure) through <see cref="StatusTable"/>; anything else
/// (a bug, or an unexpected library error) becomes INTERNAL with a reference the operator finds
/// in the log beside the exception; the client learns neither its type nor its message (which
/// might carry input back).
/// </summary>
internal sealed partial class FailureInterceptor(ILogger<FailureInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException)
        {
            throw Translate(e, context);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException)
        {
            throw Translate(e, context);
        }
    }

    private RpcException Translate(Exception e, ServerCallContext context)
    {
        if (StatusTable.Map(e) is { } mapped)
        {
            return StatusTable.ToRpcException(mapped);
        }

        var reference = Guid.NewGuid().ToString("N")[..12];
        LogUnexpected(logger, e, context?.Method ?? "?", reference);
        return RpcErrors.Create(StatusCode.Internal, ErrorReasons.Internal, $"internal error (reference {reference} in the CA's log)", metadata: new Dictionary<string, string>(StringComparer.Ordinal) { ["reference"] = reference });
    }

    [LoggerMessage(EventId = 5900, Level = LogLevel.Error, Message = "{Method} failed unexpectedly (reference {Reference})")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string reference);
}
