using System.Formats.Asn1;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>Finds a key pair on a token and reads its public half into OpenSSH form (PKCS#11 v2.40 §2.3, CKA_EC_POINT as a DER OCTET STRING; RFC 5656 §3.1).</summary>
internal static class Pkcs11KeyReader
{
    public static (IObjectHandle Private, SshPublicKey Public) Find(ISession session, Pkcs11KeyUri uri)
    {
        var a = Pkcs11Library.Factories.ObjectAttributeFactory;
        var template = new List<IObjectAttribute> { a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY) };
        if (uri.ObjectLabel is not null)
        {
            template.Add(a.Create(CKA.CKA_LABEL, uri.ObjectLabel));
        }

        if (uri.ObjectId is not null)
        {
            template.Add(a.Create(CKA.CKA_ID, uri.ObjectId));
        }

        var found = session.FindAllObjects(template);
        if (found.Count == 0)
        {
            throw new HsmException(HsmErrorKind.KeyNotFound, $"{uri.Describe()}: no private key with that label/id on token (is the PIN right and the key generated?)");
        }

        if (found.Count > 1)
        {
            throw new HsmException(HsmErrorKind.KeyAmbiguous, $"{uri.Describe()}: {found.Count} private keys match; name the key by id= as well");
        }

        var privateKey = found[0];
        var attributes = session.GetAttributeValue(privateKey, [CKA.CKA_ID, CKA.CKA_KEY_TYPE]);
        var id = attributes[0].GetValueAsByteArray() ?? [];
        var keyType = attributes[1].GetValueAsUlong();
        return (privateKey, ReadPublic(session, uri, id, keyType, privateKey));
    }

    private static SshPublicKey ReadPublic(ISession session, Pkcs11KeyUri uri, byte[] id, ulong keyType, IObjectHandle privateKey)
    {
        var a = Pkcs11Library.Factories.ObjectAttributeFactory;
        var publics = session.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), a.Create(CKA.CKA_ID, id)]);
        if (keyType == (ulong)CKK.CKK_RSA)
        {
            // The RSA private key object carries the public numbers too, if the public object is missing.
            var source = publics.Count == 1 ? publics[0] : privateKey;
            var rsa = session.GetAttributeValue(source, [CKA.CKA_PUBLIC_EXPONENT, CKA.CKA_MODULUS]);
            return RsaPublicKey.Create(rsa[0].GetValueAsByteArray(), rsa[1].GetValueAsByteArray());
        }

        if (publics.Count != 1)
        {
            throw new HsmException(HsmErrorKind.KeyNotFound, $"{uri.Describe()}: {publics.Count} public key objects with the key's CKA_ID; exactly one is needed to read an EC public key");
        }

        var ec = session.GetAttributeValue(publics[0], [CKA.CKA_EC_PARAMS, CKA.CKA_EC_POINT]);
        var parameters = ec[0].GetValueAsByteArray() ?? [];
        var point = UnwrapPoint(ec[1].GetValueAsByteArray() ?? []);
        try
        {
            if (keyType == Pkcs11Constants.CkkEcEdwards)
            {
                if (!parameters.AsSpan().SequenceEqual(Pkcs11Constants.Ed25519OidParams) && !parameters.AsSpan().SequenceEqual(Pkcs11Constants.Ed25519NameParams))
                {
                    throw new HsmException(HsmErrorKind.UnsupportedKey, $"{uri.Describe()}: Edwards curve {Convert.ToHexString(parameters)} is not Ed25519");
                }

                return Ed25519PublicKey.Create(point);
            }

            if (keyType == (ulong)CKK.CKK_EC)
            {
                var curve = CurveFor(parameters, point.Length)
                    ?? throw new HsmException(HsmErrorKind.UnsupportedKey, $"{uri.Describe()}: EC curve {Convert.ToHexString(parameters)} is not P-256, P-384 or P-521");
                return EcdsaPublicKey.Create(curve, point);
            }
        }
        catch (SshFormatException e)
        {
            throw new HsmException(HsmErrorKind.UnsupportedKey, $"{uri.Describe()}: the token's public key is malformed: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new HsmException(HsmErrorKind.UnsupportedKey, $"{uri.Describe()}: the token's public key is malformed: {e.Message}", e);
        }

        throw new HsmException(HsmErrorKind.UnsupportedKey, $"{uri.Describe()}: key type 0x{keyType:x} cannot be an SSH CA key");
    }

    /// <summary>Named curve by OID; explicit parameters (ykcs11 2.2.0) by point length.</summary>
    private static EcCurve? CurveFor(byte[] parameters, int pointLength)
    {
        if (parameters.AsSpan().SequenceEqual(Pkcs11Constants.P256Params))
        {
            return EcCurve.NistP256;
        }

        if (parameters.AsSpan().SequenceEqual(Pkcs11Constants.P384Params))
        {
            return EcCurve.NistP384;
        }

        if (parameters.AsSpan().SequenceEqual(Pkcs11Constants.P521Params))
        {
            return EcCurve.NistP521;
        }

        return parameters.Length > 0 && parameters[0] == 0x30 ? EcCurve.All.FirstOrDefault(c => c.PointLength == pointLength) : null;
    }

    /// <summary>CKA_EC_POINT is a DER OCTET STRING around the point; some tokens return the raw point.</summary>
    private static byte[] UnwrapPoint(byte[] value)
    {
        if (value.Length > 2 && value[0] == 0x04)
        {
            try
            {
                var inner = AsnDecoder.ReadOctetString(value, AsnEncodingRules.DER, out var consumed);
                if (consumed == value.Length)
                {
                    return inner;
                }
            }
            catch (AsnContentException)
            {
                // Not DER: a raw uncompressed point also starts with 0x04.
            }
        }

        return value;
    }
}
