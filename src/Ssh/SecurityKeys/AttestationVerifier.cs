using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Ssh.SecurityKeys;

/// <summary>
/// Verifies that a security-key public key was generated inside an authenticator of a trusted
/// model, from the <c>ssh-sk-attest-v01</c> file ssh-keygen wrote at enrollment (PROTOCOL.u2f;
/// W3C WebAuthn §8.2 "packed" and §8.6 "fido-u2f"; OpenSSH's regress/misc/ssh-verify-attestation
/// is the reference behaviour, made stricter): the authenticator data names the key's application
/// and attests exactly the submitted key; the enrollment signature covers it and SHA-256 of the
/// CA's challenge (OpenSSH ≥ 8.7 passes the challenge as client data, which the authenticator
/// hashes), under packed or else fido-u2f (the file does not say which); the attestation
/// certificate is a v3 end-entity certificate whose AAGUID extension, when present, agrees, and
/// which chains to a pinned root; the model is allowed. Every refusal names its check.
/// </summary>
public static class AttestationVerifier
{
    /// <summary>id-fido-gen-ce-aaguid (FIDO Metadata / WebAuthn §8.2.1).</summary>
    public const string AaguidExtensionOid = "1.3.6.1.4.1.45724.1.1.4";

    /// <summary>Verifies <paramref name="attestation"/> for <paramref name="key"/> and the CA's <paramref name="challenge"/>.</summary>
    public static AttestedKey Verify(SshPublicKey key, ReadOnlySpan<byte> attestation, ReadOnlySpan<byte> challenge, AttestationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(policy);
        var (application, ed25519, publicKey) = key switch
        {
            SkEcdsaPublicKey ecdsa => (ecdsa.Application, false, ecdsa.Q),
            SkEd25519PublicKey ed => (ed.Application, true, ed.PublicKey),
            _ => throw new AttestationRefusedException(AttestationRefusal.NotASecurityKey, $"a {key.KeyType} key lives in software as far as anyone can tell: only sk-ecdsa-sha2-nistp256@openssh.com and sk-ssh-ed25519@openssh.com keys can be attested"),
        };

        SkAttestation blob;
        AuthenticatorData data;
        try
        {
            blob = SkAttestation.Parse(attestation);
            data = AuthenticatorData.Parse(blob.AuthenticatorData.Span);
        }
        catch (SshFormatException e)
        {
            throw new AttestationRefusedException(AttestationRefusal.Malformed, e.Message, e);
        }

        if (!data.RpIdHash.Span.SequenceEqual(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(application))))
        {
            throw new AttestationRefusedException(AttestationRefusal.WrongApplication, $"the authenticator data is for another application than the key's '{application}'");
        }

        if (!data.Has(AuthenticatorData.UserPresent))
        {
            throw new AttestationRefusedException(AttestationRefusal.UserNotPresent, "the enrollment was made without user presence (UP flag clear)");
        }

        var attested = data.Key;
        var same = attested.IsEd25519 == ed25519 && (ed25519
            ? attested.X.Span.SequenceEqual(publicKey.Span)
            : attested.UncompressedPoint().AsSpan().SequenceEqual(publicKey.Span));
        if (!same)
        {
            throw new AttestationRefusedException(AttestationRefusal.KeyMismatch, "the attested credential public key is not the submitted key");
        }

        if (blob.Certificate.IsEmpty || blob.Signature.IsEmpty)
        {
            throw new AttestationRefusedException(AttestationRefusal.NoAttestation, "the authenticator gave no attestation certificate or signature (a \"none\" attestation proves nothing about where the key lives)");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(blob.Certificate.Span);
        }
        catch (CryptographicException e)
        {
            throw new AttestationRefusedException(AttestationRefusal.Malformed, "attestation certificate: not a DER X.509 certificate", e);
        }

        using (certificate)
        {
            var clientDataHash = SHA256.HashData(challenge);
            var format = VerifySignature(certificate, data, blob, clientDataHash)
                ?? throw new AttestationRefusedException(AttestationRefusal.BadSignature, "the enrollment signature verifies neither as packed nor as fido-u2f over this challenge (another challenge, or a forged statement)");

            if (policy.RequireUserVerification && !data.Has(AuthenticatorData.UserVerified))
            {
                throw new AttestationRefusedException(AttestationRefusal.UserNotVerified, "policy requires user verification and the enrollment did not verify the user (UV flag clear; enroll with -O verify-required)");
            }

            if (!policy.AllowBackup && (data.Has(AuthenticatorData.BackupEligible) || data.Has(AuthenticatorData.BackedUp)))
            {
                throw new AttestationRefusedException(AttestationRefusal.BackupNotAllowed, "the credential can be backed up or synced (BE/BS flags), which policy does not allow");
            }

            CheckLeaf(certificate, data);
            var root = CheckChain(certificate, policy);
            if (policy.AllowedAaguids.Count > 0 && !policy.AllowedAaguids.Contains(data.Aaguid))
            {
                throw new AttestationRefusedException(AttestationRefusal.ModelNotAllowed, $"authenticator model {data.Aaguid} (AAGUID) is not on the allow-list");
            }

            var backup = data.Has(AuthenticatorData.BackupEligible) || data.Has(AuthenticatorData.BackedUp);
            return new AttestedKey(data.Aaguid, data.Has(AuthenticatorData.UserVerified), backup, format, certificate.Subject, certificate.SerialNumber, root);
        }
    }

    private static string? VerifySignature(X509Certificate2 certificate, AuthenticatorData data, SkAttestation blob, byte[] clientDataHash)
    {
        // packed (WebAuthn §8.2): authData ‖ clientDataHash.
        byte[] packed = [.. blob.AuthenticatorData.Span, .. clientDataHash];
        if (VerifyWith(certificate, packed, blob.Signature.Span, allowRsa: true))
        {
            return "packed";
        }

        // fido-u2f (WebAuthn §8.6): 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ uncompressed P-256 point.
        if (!data.Key.IsEd25519)
        {
            byte[] u2f = [0x00, .. data.RpIdHash.Span, .. clientDataHash, .. data.CredentialId.Span, .. data.Key.UncompressedPoint()];
            if (VerifyWith(certificate, u2f, blob.Signature.Span, allowRsa: false))
            {
                return "fido-u2f";
            }
        }

        return null;
    }

    private static bool VerifyWith(X509Certificate2 certificate, byte[] data, ReadOnlySpan<byte> signature, bool allowRsa)
    {
        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                var hash = ec.KeySize switch { 256 => HashAlgorithmName.SHA256, 384 => HashAlgorithmName.SHA384, 521 => HashAlgorithmName.SHA512, _ => default };
                return hash != default && ec.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
            }
        }

        using var rsa = allowRsa ? certificate.GetRSAPublicKey() : null;
        return rsa is not null && rsa.KeySize >= 2048 && rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static void CheckLeaf(X509Certificate2 certificate, AuthenticatorData data)
    {
        if (certificate.Version != 3)
        {
            throw new AttestationRefusedException(AttestationRefusal.BadCertificate, $"the attestation certificate is X.509 v{certificate.Version}, not v3");
        }

        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509BasicConstraintsExtension { CertificateAuthority: true })
            {
                throw new AttestationRefusedException(AttestationRefusal.BadCertificate, "the attestation certificate is a CA certificate (basic constraints CA=true)");
            }

            if (extension.Oid?.Value == AaguidExtensionOid)
            {
                if (extension.Critical)
                {
                    throw new AttestationRefusedException(AttestationRefusal.BadCertificate, "the AAGUID extension is marked critical");
                }

                byte[] value;
                try
                {
                    value = AsnDecoder.ReadOctetString(extension.RawData, AsnEncodingRules.DER, out var consumed);
                    if (consumed != extension.RawData.Length)
                    {
                        throw new AsnContentException();
                    }
                }
                catch (AsnContentException e)
                {
                    throw new AttestationRefusedException(AttestationRefusal.BadCertificate, "the AAGUID extension is not one OCTET STRING", e);
                }

                if (!value.AsSpan().SequenceEqual(data.AaguidBytes.Span))
                {
                    throw new AttestationRefusedException(AttestationRefusal.BadCertificate, $"the certificate's AAGUID extension ({Convert.ToHexString(value)}) is not the authenticator data's AAGUID ({data.Aaguid})");
                }
            }
        }
    }

    private static string CheckChain(X509Certificate2 certificate, AttestationPolicy policy)
    {
        if (policy.Roots.Count == 0)
        {
            throw new AttestationRefusedException(AttestationRefusal.UntrustedRoot, "no attestation roots are configured, so no attestation can be trusted");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = policy.Now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        foreach (var root in policy.Roots)
        {
            chain.ChainPolicy.CustomTrustStore.Add(root);
        }

        foreach (var intermediate in policy.Intermediates)
        {
            chain.ChainPolicy.ExtraStore.Add(intermediate);
        }

        if (!chain.Build(certificate))
        {
            var why = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal));
            throw new AttestationRefusedException(AttestationRefusal.UntrustedRoot, $"the attestation certificate ({certificate.Subject}) does not chain to a pinned root: {why}");
        }

        return chain.ChainElements[^1].Certificate.Subject;
    }
}
