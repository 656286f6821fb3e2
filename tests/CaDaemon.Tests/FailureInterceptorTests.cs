using Grpc.Core;
using Microsoft.Extensions.Logging;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Grpc;
using SshHsmCa.Hsm;

namespace SshHsmCa.CaDaemon.Tests;

public sealed class FailureInterceptorTests
{
    private sealed class Capture : ILogger<FailureInterceptor>
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
        var interceptor = new FailureInterceptor(log);
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
        var interceptor = new FailureInterceptor(log);
        var e = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", null!, (_, _) => throw new RpcException(new Status(StatusCode.PermissionDenied, "denied by policy"))));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Empty(log.Entries);
        Assert.Equal("ok", await interceptor.UnaryServerHandler<string, string>("request", null!, (_, _) => Task.FromResult("ok")));
    }

    [Fact]
    public async Task DomainFailuresGoThroughTheOneTable()
    {
        var interceptor = new FailureInterceptor(new Capture());
        async Task<RpcException> Thrown(Exception e) => await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>("request", null!, (_, _) => throw e));

        var invalid = await Thrown(new InvalidRequestException([new FieldViolation("public_key", "required"), new FieldViolation("principals", "too many")]));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Equal(["public_key", "principals"], invalid.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Select(v => v.Field));
        Assert.Equal("INVALID_REQUEST", invalid.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);

        var denied = await Thrown(new PolicyDeniedException(new SshHsmCa.Policy.Deny([new SshHsmCa.Policy.PolicyReason("principal-not-allowed", "principals", "root is not allowed")], [])));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Equal("POLICY_DENIED", denied.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
        Assert.Equal("principal-not-allowed", Assert.Single(denied.GetRpcStatus()!.GetDetail<Google.Rpc.PreconditionFailure>().Violations).Type);

        var touch = await Thrown(new HsmException(HsmErrorKind.TouchTimeout, "no touch"));
        Assert.Equal(StatusCode.DeadlineExceeded, touch.StatusCode);
        Assert.Equal("TouchTimeout", touch.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Metadata["kind"]);
        Assert.Equal(StatusCode.Unavailable, (await Thrown(new HsmException(HsmErrorKind.TokenNotFound, "gone"))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await Thrown(new RefusedException(Refusal.RenewalRefused, "expired"))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Thrown(new RefusedException(Refusal.CertificateNotFound, "no serial 7"))).StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, (await Thrown(new RefusedException(Refusal.SlotInUse, "in use"))).StatusCode);
        Assert.Equal(StatusCode.Unavailable, (await Thrown(new CeremonyFailedException(new HsmException(HsmErrorKind.DeviceUnavailable, "no card")))).StatusCode);
    }

    [Fact]
    public void BatchEntriesUseTheSameRowsAsSingleCalls()
    {
        var mapped = StatusTable.Map(new HsmException(HsmErrorKind.TouchTimeout, "no touch"))!;
        var error = StatusTable.ToBatchError(mapped, "hosts[3]: ");
        Assert.Equal(("DEADLINE_EXCEEDED", "CA_KEY_TIMEOUT"), (error.Code, error.Reason));
        Assert.Equal(StatusCode.DeadlineExceeded, StatusTable.ToRpcException(mapped).StatusCode);
        Assert.Equal("INVALID_ARGUMENT", StatusTable.CodeName(StatusCode.InvalidArgument));
        Assert.Null(StatusTable.Map(new InvalidOperationException("a bug")));
    }
}
