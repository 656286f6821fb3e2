using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.Hsm;
using SshHsmCa.Policy;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>
/// A batch of host certificates for one operator (a YubiKey touch session): every entry parsed and
/// run through policy before anything is signed, the refusals reported first and in order (so the
/// operator sees them before touching anything), then one signing pass in which a device failure
/// fails its entry and not the batch. Touch prompts are reported as they happen.
/// </summary>
internal sealed class BatchIssuer(IssuingPipeline pipeline)
{
    /// <summary>What happened to entry <c>Index</c>: a certificate, or the failure (as the status table maps it).</summary>
    public sealed record Entry(int Index, SshCertificate? Certificate, Exception? Failure);

    /// <summary>The counts of a finished batch.</summary>
    public sealed record Summary(int Issued, int Invalid, int Denied, int Failed, int TouchPrompts);

    /// <summary>The receiver of a batch's events, called from one flow at a time except <see cref="TouchPrompt"/>.</summary>
    public interface IEvents
    {
        void Result(Entry entry);

        void TouchPrompt(int index, string message);
    }

    /// <summary>Runs the batch; <paramref name="parse"/> parses entry i and throws <see cref="InvalidRequestException"/> for a malformed one.</summary>
    public async Task<Summary> RunAsync(CallerIdentity caller, string sourceAddress, int count, Func<int, CertificateRequest> parse, IEvents events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(events);
        int invalid = 0, denied = 0, issued = 0, failed = 0, prompts = 0;
        var allowed = new List<(int Index, CertificateRequest Request, Allow Allow)>();
        var refused = new List<Entry>();
        for (var i = 0; i < count; i++)
        {
            CertificateRequest parsed;
            try
            {
                parsed = parse(i);
            }
            catch (InvalidRequestException e)
            {
                invalid++;
                refused.Add(new Entry(i, null, e));
                continue;
            }

            parsed = await pipeline.AttestedAsync(parsed, cancellationToken).ConfigureAwait(false);
            switch (pipeline.Decide(caller, parsed))
            {
                case Deny deny:
                    denied++;
                    refused.Add(new Entry(i, null, new PolicyDeniedException(deny)));
                    break;
                case Allow allow:
                    allowed.Add((i, parsed, allow));
                    break;
            }
        }

        refused.ForEach(events.Result);
        foreach (var (index, parsed, allow) in allowed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (TouchPrompts.Observe(message =>
            {
                Interlocked.Increment(ref prompts);
                events.TouchPrompt(index, message);
            }))
            {
                try
                {
                    var certificate = await pipeline.IssueAllowedAsync(caller, sourceAddress, parsed, allow, cancellationToken).ConfigureAwait(false);
                    issued++;
                    events.Result(new Entry(index, certificate, null));
                }
                catch (HsmException e)
                {
                    failed++;
                    events.Result(new Entry(index, null, e));
                }
            }
        }

        return new Summary(issued, invalid, denied, failed, Volatile.Read(ref prompts));
    }
}
