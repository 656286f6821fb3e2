using System.Security.Cryptography;
using SshHsmCa.Ssh.SecurityKeys;

namespace SshHsmCa.Ssh.Tests;

/// <summary>
/// Issue 29: the attestation file and authenticator data parsers on hostile bytes. Each malformed
/// input fails with the field it broke; what OpenSSH and libfido2 let through (trailing bytes after
/// the COSE key or after the blob, an indefinite or non-canonical CBOR wrapper) is refused here.
/// Genuine files written by ssh-keygen are judged in Interop.Tests (SecurityKeyAttestationTests).
/// </summary>
public sealed class SkAttestationTests
{
    private static readonly byte[] X = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Y = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void AWellFormedP256AuthenticatorDataParses()
    {
        var data = AuthenticatorData.Parse(AuthData(0x45, CoseP256()));
        Assert.True(data.Has(AuthenticatorData.UserPresent));
        Assert.True(data.Has(AuthenticatorData.UserVerified));
        Assert.False(data.Key.IsEd25519);
        Assert.Equal([0x04, .. X, .. Y], data.Key.UncompressedPoint());
        Assert.Equal(new Guid("00112233-4455-6677-8899-aabbccddeeff"), data.Aaguid);
        Assert.Equal(7u, data.SignCount);
    }

    [Fact]
    public void AWellFormedEd25519AuthenticatorDataParses() =>
        Assert.True(AuthenticatorData.Parse(AuthData(0x41, [0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20, .. X])).Key.IsEd25519);

    [Theory]
    [InlineData("cut", "shorter than rpIdHash")]
    [InlineData("no-at", "AT flag clear")]
    [InlineData("trailing", "after what the flags announce")]
    [InlineData("cose-extra-label", "COSE")]
    [InlineData("cose-wrong-curve", "not a P-256 ES256 or Ed25519")]
    [InlineData("cose-short-x", "not a P-256 ES256 or Ed25519")]
    [InlineData("cose-unsorted", "canonical")]
    [InlineData("id-too-long", "credential id length")]
    [InlineData("ed-flag-no-map", "extensions")]
    [InlineData("cose-huge-label", "canonical CBOR")]
    [InlineData("cose-huge-value", "canonical CBOR")]
    public void HostileAuthenticatorDataIsRefusedByField(string mutation, string expected)
    {
        byte[] data = mutation switch
        {
            "cut" => AuthData(0x41, CoseP256())[..36],
            "no-at" => AuthData(0x01, CoseP256()),
            "trailing" => [.. AuthData(0x41, CoseP256()), 0x00],
            "cose-extra-label" => AuthData(0x41, [0xa6, 0x01, 0x02, 0x03, 0x26, 0x04, 0x00, 0x20, 0x01, 0x21, 0x58, 0x20, .. X, 0x22, 0x58, 0x20, .. Y]),
            "cose-wrong-curve" => AuthData(0x41, [0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x02, 0x21, 0x58, 0x20, .. X, 0x22, 0x58, 0x20, .. Y]),
            "cose-short-x" => AuthData(0x41, [0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x1f, .. X[..31], 0x22, 0x58, 0x20, .. Y]),
            "cose-unsorted" => AuthData(0x41, [0xa5, 0x03, 0x26, 0x01, 0x02, 0x20, 0x01, 0x21, 0x58, 0x20, .. X, 0x22, 0x58, 0x20, .. Y]),
            "id-too-long" => [.. AuthData(0x41, CoseP256())[..53], 0xff, 0xff],
            "ed-flag-no-map" => [.. AuthData(0xc1, CoseP256()), 0x01],
            // Found by the fuzz smoke: integers beyond Int64 made the CBOR reader throw OverflowException.
            "cose-huge-label" => AuthData(0x41, [0xa5, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            "cose-huge-value" => AuthData(0x41, [0xa5, 0x01, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            _ => throw new ArgumentOutOfRangeException(nameof(mutation)),
        };
        var e = Assert.Throws<SshFormatException>(() => AuthenticatorData.Parse(data));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheBlobIsStrict()
    {
        var authData = AuthData(0x41, CoseP256());
        byte[] wrapped = [0x58, (byte)authData.Length, .. authData];
        Assert.Equal(authData, SkAttestation.Parse(Blob(SkAttestation.V01, wrapped)).AuthenticatorData.ToArray());

        Refused(Blob(SkAttestation.V00, wrapped), "attestation format", "v00");
        Refused(Blob("ssh-sk-attest-v02", wrapped), "attestation format", "not ssh-sk-attest-v01");
        Refused([.. Blob(SkAttestation.V01, wrapped), 0], "attestation", "trailing");
        Refused(Blob(SkAttestation.V01, [.. wrapped, 0]), "authenticator data", "after the CBOR byte string");
        // Not canonical: a two-byte length where one byte would do; an indefinite-length string; not a byte string.
        Refused(Blob(SkAttestation.V01, [0x59, 0x00, 0x05, 1, 2, 3, 4, 5]), "authenticator data", "canonical");
        Refused(Blob(SkAttestation.V01, [0x5f, 0x41, 0x00, 0xff]), "authenticator data", "not a CBOR byte string");
        Refused(Blob(SkAttestation.V01, [0x61, 0x41]), "authenticator data", "not a CBOR byte string");
        Refused(Blob(SkAttestation.V01, wrapped, flags: 1), "attestation", "reserved");
        Refused(Blob(SkAttestation.V01, wrapped, certificate: new byte[SkAttestation.MaxCertificateLength + 1]), "attestation certificate", "more than");
        Refused(new byte[SkAttestation.MaxLength + 1], "attestation", "more than");
    }

    private static void Refused(byte[] blob, string field, string problem)
    {
        var e = Assert.Throws<SshFormatException>(() => SkAttestation.Parse(blob));
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    private static byte[] CoseP256() => [0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20, .. X, 0x22, 0x58, 0x20, .. Y];

    private static byte[] AuthData(byte flags, byte[] cose) =>
        [.. SHA256.HashData("ssh:"u8), flags, 0, 0, 0, 7, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 4, 1, 2, 3, 4, .. cose];

    private static byte[] Blob(string magic, byte[] wrappedAuthData, uint flags = 0, byte[]? certificate = null)
    {
        var w = new SshWriter();
        w.WriteString(magic);
        w.WriteString(certificate ?? [0x30, 0x00]);
        w.WriteString([0x30, 0x00]);
        w.WriteString(wrappedAuthData);
        w.WriteUInt32(flags);
        w.WriteString(ReadOnlySpan<byte>.Empty);
        return w.ToArray();
    }
}
