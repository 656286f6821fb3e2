using Grpc.Core;
using Grpc.Core.Interceptors;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// A handler failure that is not an <see cref="RpcException"/> (a bug, or an unexpected library
/// error) becomes INTERNAL with a reference the operator finds in the log beside the exception;
/// the client learns the exception's type, never its message (which might carry input back).
/// </summary>
public sealed partial class UnexpectedErrorInterceptor(ILogger<UnexpectedErrorInterceptor> logger) : Interceptor
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
            throw Wrap(e, context);
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
            throw Wrap(e, context);
        }
    }

    private RpcException Wrap(Exception e, ServerCallContext context)
    {
        var reference = Guid.NewGuid().ToString("N")[..12];
        LogUnexpected(logger, e, context?.Method ?? "?", reference);
        return RpcErrors.Create(StatusCode.Internal, ErrorReasons.Internal, $"internal error (reference {reference} in the CA's log)", metadata: new Dictionary<string, string>(StringComparer.Ordinal) { ["reference"] = reference });
    }

    [LoggerMessage(EventId = 5900, Level = LogLevel.Error, Message = "{Method} failed unexpectedly (reference {Reference})")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string reference);
}
