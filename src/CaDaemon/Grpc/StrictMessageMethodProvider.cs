using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using SshHsmCa.CaDaemon.Issuing;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// Binds every gRPC service of the daemon as grpc-dotnet's own binder does (the generated
/// <c>BindService</c> named by <see cref="BindServiceMethodAttribute"/>), with one difference: a
/// request that is not a valid protobuf message (a truncated varint, invalid UTF-8, nesting past
/// the recursion limit, a length past the end) fails INVALID_ARGUMENT with a short reason,
/// instead of escaping the deserializer as an unhandled exception that grpc-dotnet answers
/// UNKNOWN and logs whole (issue 13). The deserializer is where the fault is, so it is handled there.
/// </summary>
/// <typeparam name="TService">The service implementation.</typeparam>
internal sealed partial class StrictMessageMethodProvider<TService>(CaMetrics metrics, ILogger<StrictMessageMethodProvider<TService>> logger) : IServiceMethodProvider<TService>
    where TService : class
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(60);
    private static long _lastWarning;
    private static int _suppressed;

    /// <inheritdoc />
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is not { } attribute)
            {
                continue;
            }

            var bind = attribute.BindType.GetMethods(BindingFlags.Public | BindingFlags.Static)
                .Single(m => m.Name == attribute.BindMethodName && m.GetParameters() is [var first, _] && first.ParameterType == typeof(ServiceBinderBase));
            bind.Invoke(null, [new Binder(context, this), null]);
            return;
        }
    }

    private Marshaller<TRequest> Strict<TRequest>(Marshaller<TRequest> marshaller) =>
        Marshallers.Create(marshaller.ContextualSerializer, context =>
        {
            try
            {
                return marshaller.ContextualDeserializer(context);
            }
            catch (InvalidProtocolBufferException e)
            {
                metrics.MalformedMessages.Inc();
                Warn(typeof(TRequest).Name, e.Message);
                throw RpcErrors.Create(StatusCode.InvalidArgument, ErrorReasons.MalformedMessage, $"the request is not a valid {Descriptor(typeof(TRequest))} message: {e.Message}");
            }
        });

    /// <summary>At most one warning a minute, saying how many were not written since the last.</summary>
    private void Warn(string message, string reason)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastWarning);
        if (last != 0 && now - last < WarningInterval.TotalMilliseconds || Interlocked.CompareExchange(ref _lastWarning, now, last) != last)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        LogMalformed(logger, message, reason, Interlocked.Exchange(ref _suppressed, 0));
    }

    /// <summary>The protobuf full name (sshhsmca.v1.SignUserCertificateRequest), not the C# one.</summary>
    private static string Descriptor(Type message) =>
        message.GetProperty("Descriptor", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)?.GetValue(null) is Google.Protobuf.Reflection.MessageDescriptor descriptor
            ? descriptor.FullName
            : message.Name;

    private Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
        new(method.Type, method.ServiceName, method.Name, Strict(method.RequestMarshaller), method.ResponseMarshaller);

    [LoggerMessage(EventId = 5901, Level = LogLevel.Warning, Message = "a request was not a valid {Message} message ({Reason}); {Suppressed} more since the last warning")]
    private static partial void LogMalformed(ILogger logger, string message, string reason, int suppressed);

    private sealed class Binder(ServiceMethodProviderContext<TService> context, StrictMessageMethodProvider<TService> provider) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
            context.AddUnaryMethod(provider.Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddServerStreamingMethod(provider.Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
            context.AddClientStreamingMethod(provider.Strict(method), metadata, invoker);
        }

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        {
            var (invoker, metadata) = Model<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
            context.AddDuplexStreamingMethod(provider.Strict(method), metadata, invoker);
        }

        private static (TDelegate Invoker, List<object> Metadata) Model<TDelegate>(string name, params Type[] parameters)
            where TDelegate : Delegate
        {
            var handler = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, binder: null, types: parameters, modifiers: null)
                ?? throw new InvalidOperationException($"{typeof(TService)} has no method {name}");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(handler.GetCustomAttributes(inherit: true));
            return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
        }
    }
}
