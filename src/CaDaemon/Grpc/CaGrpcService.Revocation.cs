using System.Globalization;
using Grpc.Core;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Failures;
using SshHsmCa.CaDaemon.Revocation;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;
using ProtoRevokedItem = SshHsmCa.Protos.V1.RevokedItem;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>Revocation and the KRL (the logic is in <see cref="Revocations"/> and <see cref="KrlPublisher"/>).</summary>
internal sealed partial class CaGrpcService
{
    /// <inheritdoc />
    public override async Task<RevokeResponse> Revoke(RevokeRequest request, ServerCallContext context)
    {
        var caller = await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Revoke, context.CancellationToken).ConfigureAwait(false);
        var outcome = await revocations.RevokeAsync(caller, context.Peer, ToSelector(request), context.CancellationToken).ConfigureAwait(false);
        var response = new RevokeResponse { RevocationId = outcome.Revocation.Id, KrlVersion = outcome.KrlVersion };
        response.Certificates.AddRange(outcome.Certificates.Select(r => ToProto(r)));
        response.Items.AddRange(outcome.Revocation.Items.Select(ToProto));
        return response;
    }

    /// <inheritdoc />
    public override async Task<ListRevocationsResponse> ListRevocations(ListRevocationsRequest request, ServerCallContext context)
    {
        await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Audit, context.CancellationToken).ConfigureAwait(false);
        var (size, before) = Page(request.PageSize, request.PageToken);
        return ToProto(await Page<RevocationRecord>.FetchAsync(size, limit => revocationStore.ListRevocationsAsync(before, limit, context.CancellationToken)).ConfigureAwait(false));
    }

    private static ListRevocationsResponse ToProto(Page<RevocationRecord> page)
    {
        var response = new ListRevocationsResponse { NextPageToken = page.HasMore ? page.Items[^1].Id.ToString(CultureInfo.InvariantCulture) : string.Empty };
        response.Revocations.AddRange(page.Items.Select(ToProto));
        return response;
    }

    /// <inheritdoc />
    public override async Task<GetKrlResponse> GetKrl(GetKrlRequest request, ServerCallContext context)
    {
        return ToProto(await krls.CurrentAsync(context.CancellationToken).ConfigureAwait(false));
    }

    private static GetKrlResponse ToProto(Revocation.SignedKrl krl) => new()
    {
        Krl = Google.Protobuf.ByteString.CopyFrom(krl.Krl),
        Version = krl.Version,
        Signature = krl.Signature,
        Namespace = KrlSignature.Namespace,
        SignerPublicKey = krl.SignerPublicKey,
        GeneratedAt = krl.GeneratedAt,
    };

    private static RevokeSelector ToSelector(RevokeRequest request) => new()
    {
        Serials = [.. request.Serials],
        KeyId = request.KeyId,
        Principal = request.Principal,
        Caller = request.Caller,
        IssuedSince = request.IssuedSince,
        PublicKey = request.PublicKey,
        KeyFingerprint = request.KeyFingerprint,
        CaPublicKey = request.CaPublicKey,
        Scope = request.Scope switch
        {
            CaScope.Unspecified => RevokeScope.Both,
            CaScope.User => RevokeScope.User,
            CaScope.Host => RevokeScope.Host,
            _ => throw new InvalidRequestException("scope", $"{(int)request.Scope} is not CA_SCOPE_UNSPECIFIED, CA_SCOPE_USER or CA_SCOPE_HOST"),
        },
        Reason = request.Reason,
        DryRun = request.DryRun,
    };

    /// <summary>Page size (default 50, at most 500) and the token of the previous page.</summary>
    private static (int Size, ulong? Before) Page(uint pageSize, string pageToken)
    {
        if (pageSize > 500)
        {
            throw new InvalidRequestException("page_size", $"{pageSize} is more than 500");
        }

        ulong? before = null;
        if (pageToken.Length > 0)
        {
            before = ulong.TryParse(pageToken, CultureInfo.InvariantCulture, out var token) ? token : throw new InvalidRequestException("page_token", "not a token from a previous response");
        }

        return (pageSize == 0 ? 50 : (int)pageSize, before);
    }

    private static ProtoRevokedItem ToProto(Audit.RevokedItem item) =>
        new() { Kind = SqlAuditStore.KindName(item.Kind), Value = item.Value, Ca = item.Ca is { } ca ? AuditNames.Name(ca) : string.Empty };

    private static Protos.V1.Revocation ToProto(RevocationRecord record)
    {
        var proto = new Protos.V1.Revocation
        {
            Id = record.Id,
            CreatedAt = record.CreatedAt,
            Caller = record.Caller,
            AuthMethod = AuthMethods.Name(record.AuthMethod),
            Reason = record.Reason,
            Selector = record.Selector,
            KrlVersion = record.KrlVersion,
        };
        proto.Items.AddRange(record.Items.Select(ToProto));
        return proto;
    }
}
