using Google.Protobuf;
using Grpc.Core;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.CaDaemon.Trust;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh.Certificates;
using ProtoCaKey = SshHsmCa.Protos.V1.CaKey;
using ProtoCaKeyState = SshHsmCa.Protos.V1.CaKeyState;
using SshCaKeyState = SshHsmCa.Ssh.Trust.CaKeyState;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>CA key sets and rotation (the logic is in <see cref="TrustPublisher"/>, <see cref="RotationStatus"/> and the reload service).</summary>
internal sealed partial class CaGrpcService
{
    /// <inheritdoc />
    public override async Task<GetTrustSetResponse> GetTrustSet(GetTrustSetRequest request, ServerCallContext context) =>
        ToProto(await trust.FetchAsync(await FetchingPartyAsync(request, context).ConfigureAwait(false), context.CancellationToken).ConfigureAwait(false));

    /// <summary>Who fetches a trust set: a host by its renewal proof, a user by a credential, or nobody known (anonymous).</summary>
    private async Task<string?> FetchingPartyAsync(GetTrustSetRequest request, ServerCallContext context)
    {
        if (request.ChallengeId.Length > 0 || request.Signature.Length > 0)
        {
            var proven = await hosts.ProveRenewalAsync(request.ChallengeId, request.Signature, context.Peer, context.CancellationToken).ConfigureAwait(false);
            return RotationStatus.HostParty(proven.Current.Principals[0]);
        }

        return await authenticator.AuthenticateIfPresentAsync(CallCredentials.Of(context), context.CancellationToken).ConfigureAwait(false) is { } caller
            ? RotationStatus.UserParty(caller.Name)
            : null;
    }

    private static GetTrustSetResponse ToProto(SignedTrustSet signed) => new()
    {
        TrustSet = ByteString.CopyFrom(signed.Document),
        Version = signed.Version,
        Signature = signed.Signature,
        SignerPublicKey = signed.Signer,
    };

    /// <inheritdoc />
    public override async Task<GetCaStatusResponse> GetCaStatus(GetCaStatusRequest request, ServerCallContext context)
    {
        await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Rotate, context.CancellationToken).ConfigureAwait(false);
        var (version, statuses) = await trust.StatusAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new GetCaStatusResponse { TrustSetVersion = version, KrlVersion = await revocationStore.KrlVersionAsync(context.CancellationToken).ConfigureAwait(false) };
        response.Keys.AddRange(statuses.Select(ToProto));
        return response;
    }

    private static CaKeyStatus ToProto(RotationStatus.KeyStatus s)
    {
        var status = new CaKeyStatus
        {
            Key = ToProto(s.Entry, s.Trusted),
            ValidCertificates = s.ValidCertificates,
            LastValidBefore = s.LastValidBefore,
            Location = s.Entry.Device?.Description ?? string.Empty,
            Available = s.Entry.Device?.IsAvailable ?? false,
            PublishedInVersion = s.PublishedInVersion,
            PublishedAt = s.PublishedAt,
            PartiesKnown = (ulong)s.PartiesKnown,
            PartiesFetched = (ulong)s.PartiesFetched,
        };
        status.PartiesMissing.AddRange(s.PartiesMissing);
        return status;
    }

    /// <inheritdoc />
    public override async Task<ReloadConfigurationResponse> ReloadConfiguration(ReloadConfigurationRequest request, ServerCallContext context)
    {
        var caller = await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Rotate, context.CancellationToken).ConfigureAwait(false);
        var outcome = (await reloader.ReloadAsync(caller, context.CancellationToken).ConfigureAwait(false)).ThrowIfRefused();
        var response = new ReloadConfigurationResponse { TrustSetVersion = outcome.TrustSetVersion };
        response.Keys.AddRange(KeysAsTrustedBy(await trust.LatestAsync(context.CancellationToken).ConfigureAwait(false)));
        return response;
    }

    /// <summary>This appliance's keys, each trusted when the trust set holds it in force.</summary>
    private IEnumerable<ProtoCaKey> KeysAsTrustedBy(Ssh.Trust.TrustSet set) =>
        keys.Entries.Select(e => ToProto(e, set.Trusted(e.Ca).Contains(e.PublicKey)));

    private static ProtoCaKey ToProto(CaKeyEntry entry, bool trusted) => new()
    {
        Ca = entry.Ca == SshCertificateType.User ? CaScope.User : CaScope.Host,
        State = ToProto(entry.State),
        PublicKey = entry.PublicKey.ToOpenSshLine(),
        Fingerprint = entry.Fingerprint,
        Trusted = trusted,
        Name = entry.Name,
    };

    private static ProtoCaKeyState ToProto(SshCaKeyState state) => state switch
    {
        SshCaKeyState.Next => ProtoCaKeyState.Next,
        SshCaKeyState.Active => ProtoCaKeyState.Active,
        SshCaKeyState.Retired => ProtoCaKeyState.Retired,
        _ => ProtoCaKeyState.Revoked,
    };
}
