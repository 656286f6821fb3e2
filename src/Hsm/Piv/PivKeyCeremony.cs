using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Hsm.Piv;

/// <summary>
/// Generates a CA key in a PIV slot: management-key mutual authentication (3DES or AES as the
/// card's metadata says), GENERATE with the chosen PIN and touch policies, then the slot's
/// attestation and the device's F9 certificate, so the key can be shown to be hardware-born.
/// </summary>
public static class PivKeyCeremony
{
    /// <summary>What the ceremony produced.</summary>
    /// <param name="PublicKey">The new key.</param>
    /// <param name="Serial">The YubiKey's serial number.</param>
    /// <param name="Attestation">The slot attestation certificate (DER).</param>
    /// <param name="DeviceCertificate">The F9 certificate (DER) that signs it, when the card has one.</param>
    public sealed record Result(SshPublicKey PublicKey, uint Serial, byte[] Attestation, byte[]? DeviceCertificate);

    /// <summary>Generates the key. Overwrites whatever the slot held.</summary>
    public static Result Generate(PivCaKeyOptions where, PivAlgorithm algorithm, PivPinPolicy pinPolicy, PivTouchPolicy touchPolicy, ReadOnlySpan<byte> managementKey)
    {
        ArgumentNullException.ThrowIfNull(where);
        if (algorithm is not (PivAlgorithm.EccP256 or PivAlgorithm.EccP384 or PivAlgorithm.Ed25519 or PivAlgorithm.Rsa2048 or PivAlgorithm.Rsa3072 or PivAlgorithm.Rsa4096))
        {
            throw new HsmException(HsmErrorKind.UnsupportedKey, $"{algorithm} cannot be an SSH CA key (P-256, P-384, Ed25519, RSA 2048+)");
        }

        using var card = PivCardFinder.Find(where);
        var session = new PivSession(card);
        using (card.BeginTransaction())
        {
            session.Select();
            var firmware = session.GetVersion();
            if (algorithm is PivAlgorithm.Ed25519 or PivAlgorithm.Rsa3072 or PivAlgorithm.Rsa4096 && firmware < new Version(5, 7))
            {
                throw new HsmException(HsmErrorKind.UnsupportedKey, $"{algorithm} needs firmware 5.7; this card has {firmware}");
            }

            var serial = session.GetSerial();
            session.AuthenticateManagementKey(managementKey);
            var publicKey = session.Generate(where.Slot, algorithm, pinPolicy, touchPolicy);
            var attestation = session.Attest(where.Slot)
                ?? throw new HsmException(HsmErrorKind.DeviceUnavailable, $"'{card.Reader}': no attestation for the new key in slot {where.Slot:x2}");
            var device = session.GetCertificate(PivSession.CertificateObject(0xF9));
            return new Result(publicKey, serial, attestation, device);
        }
    }
}
