using Grpc.Core;
using Microsoft.Extensions.Logging;
using SshHsmCa.CaDaemon.Grpc;

namespace SshHsmCa.CaDaemon.Tests;

public sealed class UnexpectedErrorInterceptorTests
{
    private sealed class Capture : ILogger<UnexpectedErrorInterceptor>
    {
        public List<(string Message, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((formatter(state, exception), exception));
    }

    [Fact]
    public async Task AnUnexpectedExceptionBecomesInternalWithAReferenceAndIsLoggedWhole()
    {
        var log = new Capture();
        var interceptor = new UnexpectedErrorInterceptor(log);
        var e = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", null!, (_, _) => throw new InvalidOperationException("input echoed: hunter2")));
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        // Neither the exception's message (it may echo input) nor its .NET type name reach the client.
        Assert.DoesNotContain("InvalidOperationException", e.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Status.Detail, StringComparison.Ordinal);
        var info = e.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>();
        Assert.Equal(("INTERNAL", "sshhsmca.v1"), (info.Reason, info.Domain));
        var (message, exception) = Assert.Single(log.Entries);
        var reference = e.Status.Detail.Split("reference ")[1].Split(' ')[0];
        Assert.Contains(reference, message, StringComparison.Ordinal);
        Assert.Equal(reference, info.Metadata["reference"]);
        Assert.IsType<InvalidOperationException>(exception);
    }

    [Fact]
    public async Task RpcExceptionsPassThroughUntouched()
    {
        var log = new Capture();
        var interceptor = new UnexpectedErrorInterceptor(log);
        var e = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", null!, (_, _) => throw new RpcException(new Status(StatusCode.PermissionDenied, "denied by policy"))));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Empty(log.Entries);
        Assert.Equal("ok", await interceptor.UnaryServerHandler<string, string>("request", null!, (_, _) => Task.FromResult("ok")));
    }
}
