using Grpc.Core;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>Security-key enrollment (issue 29; the logic is in <see cref="SecurityKeys.SecurityKeyEnrollment"/>).</summary>
internal sealed partial class CaGrpcService
{
    /// <inheritdoc />
    public override async Task<BeginKeyEnrollmentResponse> BeginKeyEnrollment(BeginKeyEnrollmentRequest request, ServerCallContext context)
    {
        var caller = await authenticator.AuthenticateAsync(CallCredentials.Of(context), allowBootstrap: false, context.CancellationToken).ConfigureAwait(false);
        var (challenge, expires) = securityKeys.Begin(caller);
        return new BeginKeyEnrollmentResponse { Challenge = Google.Protobuf.ByteString.CopyFrom(challenge), ExpiresAt = expires };
    }

    /// <inheritdoc />
    public override async Task<EnrollSecurityKeyResponse> EnrollSecurityKey(EnrollSecurityKeyRequest request, ServerCallContext context)
    {
        var caller = await authenticator.AuthenticateAsync(CallCredentials.Of(context), allowBootstrap: false, context.CancellationToken).ConfigureAwait(false);
        var record = await securityKeys.EnrollAsync(caller, request.PublicKey, request.Attestation.Memory, request.Challenge.Memory, context.CancellationToken).ConfigureAwait(false);
        return new EnrollSecurityKeyResponse { Key = ToProto(record) };
    }

    /// <inheritdoc />
    public override async Task<ListSecurityKeysResponse> ListSecurityKeys(ListSecurityKeysRequest request, ServerCallContext context)
    {
        // One's own keys for anyone; another caller's ("*": everyone's) with the "audit" right.
        var caller = request.Caller.Length == 0
            ? await authenticator.AuthenticateAsync(CallCredentials.Of(context), allowBootstrap: false, context.CancellationToken).ConfigureAwait(false)
            : await authenticator.AuthorizeAsync(CallCredentials.Of(context), OperatorRight.Audit, context.CancellationToken).ConfigureAwait(false);
        var whose = request.Caller switch { "" => caller.Name, "*" => null, var other => other };
        return new ListSecurityKeysResponse { Keys = { (await securityKeyStore.ListSecurityKeysAsync(whose, 500, context.CancellationToken).ConfigureAwait(false)).Select(ToProto) } };
    }

    private static SecurityKey ToProto(SecurityKeyRecord record) => new()
    {
        Fingerprint = record.Fingerprint,
        Caller = record.Caller,
        PublicKey = record.PublicKey,
        Aaguid = record.Aaguid.ToString("D"),
        UserVerified = record.UserVerified,
        Backup = record.Backup,
        Format = record.Format,
        CertificateSubject = record.CertificateSubject,
        CertificateSerial = record.CertificateSerial,
        RootSubject = record.RootSubject,
        EnrolledAt = record.EnrolledAt,
    };
}
