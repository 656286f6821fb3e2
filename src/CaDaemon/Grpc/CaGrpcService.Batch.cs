using System.Threading.Channels;
using Grpc.Core;
using SshHsmCa.Hsm;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>Host certificate batches: policy for all first, then one signing pass, streamed.</summary>
public sealed partial class CaGrpcService
{
    private const int MaxBatch = 1000;

    /// <inheritdoc />
    public override async Task SignHostCertificateBatch(SignHostCertificateBatchRequest request, IServerStreamWriter<SignHostCertificateBatchResponse> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        if (request.Hosts.Count is 0 or > MaxBatch)
        {
            throw RequestParser.Invalid("hosts", $"between 1 and {MaxBatch} hosts are needed, got {request.Hosts.Count}");
        }

        var caller = await authenticator.AuthorizeAsync(context, OperatorRight.Batch).ConfigureAwait(false);

        // Touch prompts arrive on a timer thread while a signature is in flight; one writer owns the stream.
        var events = Channel.CreateUnbounded<SignHostCertificateBatchResponse>(new UnboundedChannelOptions { SingleReader = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var e in events.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(e, context.CancellationToken).ConfigureAwait(false);
            }
        }, context.CancellationToken);

        var summary = new BatchSummary();
        var prompts = new int[1];
        try
        {
            // 1. Every request parsed and run through policy before anything is signed.
            var allowed = new List<(int Index, CertificateRequest Request, Allow Allow)>();
            var results = new BatchHostResult?[request.Hosts.Count];
            for (var i = 0; i < request.Hosts.Count; i++)
            {
                CertificateRequest parsed;
                try
                {
                    parsed = RequestParser.ParseHost(request.Hosts[i]);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
                {
                    summary.Invalid++;
                    var invalid = Error(i, "INVALID_ARGUMENT", ErrorReasons.InvalidRequest, $"hosts[{i}]: {e.Status.Detail}");
                    if (e.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>() is { } bad)
                    {
                        invalid.Error.FieldViolations.AddRange(bad.FieldViolations.Select(v => new BatchFieldViolation { Field = v.Field, Description = v.Description }));
                    }

                    results[i] = invalid;
                    continue;
                }

                switch (pipeline.Decide(caller, parsed))
                {
                    case Deny deny:
                        summary.Denied++;
                        var denied = Error(i, "PERMISSION_DENIED", ErrorReasons.PolicyDenied, "denied by policy: " + string.Join("; ", deny.Reasons.Select(r => r.Message)));
                        denied.Error.Reasons.AddRange(deny.Reasons.Select(r => new Protos.V1.PolicyReason { Code = r.Code, Field = r.Field, Message = r.Message }));
                        results[i] = denied;
                        break;
                    case Allow allow:
                        allowed.Add((i, parsed, allow));
                        break;
                }
            }

            // Refusals first, in order, so the operator sees them before touching anything.
            foreach (var refused in results.Where(r => r is not null))
            {
                events.Writer.TryWrite(new SignHostCertificateBatchResponse { Result = refused });
            }

            // 2. One signing pass over the allowed hosts.
            foreach (var (index, parsed, allow) in allowed)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                BatchHostResult result;
                using (TouchPrompts.Observe(message =>
                {
                    Interlocked.Increment(ref prompts[0]);
                    events.Writer.TryWrite(new SignHostCertificateBatchResponse { TouchPrompt = new BatchTouchPrompt { Index = (uint)index, Message = message } });
                }))
                {
                    try
                    {
                        var certificate = await pipeline.IssueAllowedAsync(caller, context.Peer, parsed, allow, context.CancellationToken).ConfigureAwait(false);
                        result = new BatchHostResult { Index = (uint)index, Certificate = ToProto(certificate) };
                        summary.Issued++;
                    }
                    catch (HsmException e)
                    {
                        summary.Failed++;
                        var timeout = e.Kind is HsmErrorKind.Timeout or HsmErrorKind.TouchTimeout;
                        result = Error(index, timeout ? "DEADLINE_EXCEEDED" : "UNAVAILABLE", timeout ? ErrorReasons.CaKeyTimeout : ErrorReasons.CaKeyUnavailable, timeout ? "the CA key's device did not sign in time" : "the CA key's device is unavailable");
                    }
                }

                events.Writer.TryWrite(new SignHostCertificateBatchResponse { Result = result });
            }

            summary.TouchPrompts = (uint)Volatile.Read(ref prompts[0]);
            events.Writer.TryWrite(new SignHostCertificateBatchResponse { Summary = summary });
        }
        finally
        {
            events.Writer.TryComplete();
        }

        await writer.ConfigureAwait(false);
    }

    private static BatchHostResult Error(int index, string code, string reason, string message) =>
        new() { Index = (uint)index, Error = new BatchHostError { Code = code, Reason = reason, Message = message } };
}
