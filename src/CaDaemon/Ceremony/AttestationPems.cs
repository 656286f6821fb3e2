using System.Security.Cryptography;
using SshHsmCa.Hsm;

namespace SshHsmCa.CaDaemon.Ceremony;

/// <summary>Attestation certificates as PEM, as the API publishes them.</summary>
internal static class AttestationPems
{
    /// <summary>The certificates given, in order, each as a PEM block.</summary>
    public static string Of(params byte[]?[] certificates) =>
        string.Concat(certificates.Where(c => c is not null).Select(c => new string(PemEncoding.Write("CERTIFICATE", c!)) + "\n"));

    /// <summary>A CA key's attestation and its intermediate, or empty when the key has none.</summary>
    public static string Of(ICaKey key) => key is IAttestedCaKey { Attestation: { } attestation } attested ? Of(attestation, attested.AttestationIntermediate) : string.Empty;
}
