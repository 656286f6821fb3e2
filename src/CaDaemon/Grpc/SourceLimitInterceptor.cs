using Grpc.Core;
using Grpc.Core.Interceptors;
using SshHsmCa.CaDaemon.Auth;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// Applies <see cref="SourceLimits"/> to every call that arrives over the network: refuses a source
/// over its limits with RESOURCE_EXHAUSTED before any work, and counts each UNAUTHENTICATED reply
/// as a failure of its source. Operator socket calls have no source address and are not limited.
/// </summary>
internal sealed class SourceLimitInterceptor(SourceLimits limits) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var source = Admit(context);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            limits.Failed(source, ShortMethod(context), e.Status.Detail);
            throw;
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        var source = Admit(context);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            limits.Failed(source, ShortMethod(context), e.Status.Detail);
            throw;
        }
    }

    private string? Admit(ServerCallContext context)
    {
        var connection = context.GetHttpContext().Connection;
        var source = connection.RemoteIpAddress?.ToString();
        if (source is not null && limits.Admit(source, anonymous: connection.ClientCertificate is null) is { } refusal)
        {
            throw RpcErrors.Create(StatusCode.ResourceExhausted, ErrorReasons.RateLimited, refusal);
        }

        return source;
    }

    private static string ShortMethod(ServerCallContext context)
    {
        var method = context.Method ?? string.Empty;
        var slash = method.LastIndexOf('/');
        return slash >= 0 ? method[(slash + 1)..] : method;
    }
}
