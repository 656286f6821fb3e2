using Google.Protobuf;
using Grpc.Core;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>The issuance log (the logic is in <see cref="Transparency.IssuanceLog"/> and <see cref="Transparency.LogAuditor"/>).</summary>
internal sealed partial class CaGrpcService
{
    /// <inheritdoc />
    public override async Task<GetLogCheckpointResponse> GetLogCheckpoint(GetLogCheckpointRequest request, ServerCallContext context) =>
        ToProto(await issuanceLog.LatestAsync(context.CancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public override async Task<GetLogInclusionProofResponse> GetLogInclusionProof(GetLogInclusionProofRequest request, ServerCallContext context)
    {
        await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Audit, context.CancellationToken).ConfigureAwait(false);
        var proof = await issuanceLog.ProveCertificateAsync(RequestParser.Serial(request.Serial), context.CancellationToken).ConfigureAwait(false);
        var response = new GetLogInclusionProofResponse { Index = (ulong)proof.Index, Entry = ByteString.CopyFrom(proof.Entry), Checkpoint = ToProto(proof.Checkpoint) };
        response.Hashes.AddRange(proof.Hashes.Select(ByteString.CopyFrom));
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetLogConsistencyProofResponse> GetLogConsistencyProof(GetLogConsistencyProofRequest request, ServerCallContext context)
    {
        var (first, second) = RequestParser.TreeSizes(request.First, request.Second);
        var (size, hashes) = await issuanceLog.ConsistencyAsync(first, second, context.CancellationToken).ConfigureAwait(false);
        var response = new GetLogConsistencyProofResponse { First = (ulong)first, Second = (ulong)size };
        response.Hashes.AddRange(hashes.Select(ByteString.CopyFrom));
        return response;
    }

    /// <inheritdoc />
    public override async Task<VerifyLogResponse> VerifyLog(VerifyLogRequest request, ServerCallContext context)
    {
        await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Audit, context.CancellationToken).ConfigureAwait(false);
        var found = await logAuditor.VerifyAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new VerifyLogResponse { Leaves = (ulong)found.Leaves, Checkpoints = (ulong)found.Checkpoints, Ok = found.Ok, FirstBadIndex = found.FirstBadIndex };
        response.Problems.AddRange(found.Problems);
        return response;
    }

    private GetLogCheckpointResponse ToProto(Transparency.SignedCheckpoint checkpoint)
    {
        var response = new GetLogCheckpointResponse
        {
            Note = checkpoint.Note,
            Size = (ulong)checkpoint.Size,
            Root = ByteString.CopyFrom(checkpoint.Root),
            Origin = issuanceLog.Signer!.Origin,
            VerifierKey = issuanceLog.Signer.VerifierKey,
            LogPublicKey = issuanceLog.Signer.PublicKey.ToOpenSshLine(),
            SignedAt = checkpoint.SignedAt,
        };
        foreach (var (signer, sshsig) in checkpoint.SshSigs)
        {
            response.Sshsig[signer] = sshsig;
        }

        return response;
    }
}
