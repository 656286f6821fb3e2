using System.Threading.Channels;
using Grpc.Core;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>Host certificate batches (the logic is in <see cref="BatchIssuer"/>), streamed.</summary>
internal sealed partial class CaGrpcService
{
    private const int MaxBatch = 1000;

    /// <inheritdoc />
    public override async Task SignHostCertificateBatch(SignHostCertificateBatchRequest request, IServerStreamWriter<SignHostCertificateBatchResponse> responseStream, ServerCallContext context)
    {
        RequestParser.CheckBatchSize(request.Hosts.Count, MaxBatch);
        var caller = await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Batch, context.CancellationToken).ConfigureAwait(false);
        await BatchStream.StreamAsync(responseStream, events => new BatchIssuer(pipeline).RunAsync(caller, context.Peer, request.Hosts.Count, i => RequestParser.ParseHost(request.Hosts[i]), events, context.CancellationToken), context.CancellationToken).ConfigureAwait(false);
    }

    private static BatchSummary ToProto(BatchIssuer.Summary summary) =>
        new() { Issued = (uint)summary.Issued, Invalid = (uint)summary.Invalid, Denied = (uint)summary.Denied, Failed = (uint)summary.Failed, TouchPrompts = (uint)summary.TouchPrompts };

    /// <summary>Batch events as stream messages, written in order by one writer.</summary>
    private sealed class BatchStream : BatchIssuer.IEvents
    {
        private readonly Channel<SignHostCertificateBatchResponse> _channel = Channel.CreateUnbounded<SignHostCertificateBatchResponse>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Task _writer;

        private BatchStream(IServerStreamWriter<SignHostCertificateBatchResponse> stream, CancellationToken cancellationToken) =>
            _writer = Task.Run(async () =>
            {
                await foreach (var e in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    await stream.WriteAsync(e, cancellationToken).ConfigureAwait(false);
                }
            }, cancellationToken);

        /// <summary>
        /// Runs a batch with its events on the stream (touch prompts arrive on a timer thread while a
        /// signature is in flight, so one writer owns the stream), then its summary; the stream is
        /// finished whatever happens.
        /// </summary>
        public static async Task StreamAsync(IServerStreamWriter<SignHostCertificateBatchResponse> stream, Func<BatchStream, Task<BatchIssuer.Summary>> run, CancellationToken cancellationToken)
        {
            var events = new BatchStream(stream, cancellationToken);
            try
            {
                var summary = await run(events).ConfigureAwait(false);
                events.Write(new SignHostCertificateBatchResponse { Summary = ToProto(summary) });
            }
            finally
            {
                await events.CompleteAsync().ConfigureAwait(false);
            }
        }

        private void Write(SignHostCertificateBatchResponse message) => _channel.Writer.TryWrite(message);

        public void Result(BatchIssuer.Entry entry) => Write(new SignHostCertificateBatchResponse
        {
            Result = entry.Certificate is { } certificate
                ? new BatchHostResult { Index = (uint)entry.Index, Certificate = ToProto(certificate) }
                : new BatchHostResult { Index = (uint)entry.Index, Error = StatusTable.ToBatchError(StatusTable.Map(entry.Failure!)!, $"hosts[{entry.Index}]: ") },
        });

        public void TouchPrompt(int index, string message) =>
            Write(new SignHostCertificateBatchResponse { TouchPrompt = new BatchTouchPrompt { Index = (uint)index, Message = message } });

        private async Task CompleteAsync()
        {
            _channel.Writer.TryComplete();
            await _writer.ConfigureAwait(false);
        }
    }
}
