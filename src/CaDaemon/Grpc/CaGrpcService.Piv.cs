using Grpc.Core;
using SshHsmCa.CaDaemon.Ceremony;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>The YubiKey PIV key ceremony (the logic is in <see cref="PivCeremony"/>).</summary>
internal sealed partial class CaGrpcService
{
    /// <inheritdoc />
    public override async Task<GeneratePivKeyResponse> GeneratePivKey(GeneratePivKeyRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Ceremony, context.CancellationToken).ConfigureAwait(false);
        return ToProto(await ceremony.GenerateAsync(caller, new PivCeremony.Request(request.Uri, request.Algorithm, request.PinPolicy, request.TouchPolicy), context.CancellationToken).ConfigureAwait(false));
    }

    private static GeneratePivKeyResponse ToProto(PivCeremony.Outcome outcome) => new()
    {
        PublicKey = outcome.Made.PublicKey.ToOpenSshLine($"ssh-hsm-ca piv {outcome.Made.Serial} {outcome.Slot:x2}"),
        Fingerprint = outcome.Made.PublicKey.GetSha256Fingerprint(),
        Serial = outcome.Made.Serial,
        AttestationPem = outcome.AttestationPem,
        AttestationVerified = outcome.AttestationVerified,
        AttestationRoot = outcome.AttestationRoot,
        AttestationProblem = outcome.AttestationProblem,
    };
}
