using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using SshHsmCa.Ssh.Keys;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// Key ceremony on a token: generate a CA key pair on the device (private key sensitive, never
/// extractable, on the token), list keys, export a public key. For the CLI and daemon.
/// </summary>
public static class Pkcs11KeyCeremony
{
    /// <summary>A key pair found on a token.</summary>
    public sealed record KeyEntry(string Label, byte[] Id, SshPublicKey? PublicKey, string? Problem);

    /// <summary>
    /// Generates a key pair on the token behind <paramref name="token"/> (opened read-write) and
    /// returns its public key. Refuses when a private key with the same label or id exists.
    /// </summary>
    public static SshPublicKey Generate(Pkcs11Token token, CaKeyType type, string label, byte[] id)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentException.ThrowIfNullOrEmpty(label);
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length == 0)
        {
            throw new ArgumentException("the key id must not be empty", nameof(id));
        }

        var a = Pkcs11Library.Factories.ObjectAttributeFactory;
        var f = Pkcs11Library.Factories.MechanismFactory;
        var session = token.Anchor;
        var clash = session.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_LABEL, label)]).Count
            + session.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_ID, id)]).Count;
        if (clash > 0)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"token '{token.Label}' already has a private key labelled '{label}' or with id {Convert.ToHexString(id)}; nothing generated");
        }

        List<IObjectAttribute> publicTemplate =
        [
            a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_PRIVATE, false), a.Create(CKA.CKA_VERIFY, true),
            a.Create(CKA.CKA_LABEL, label), a.Create(CKA.CKA_ID, id),
        ];
        List<IObjectAttribute> privateTemplate =
        [
            a.Create(CKA.CKA_TOKEN, true), a.Create(CKA.CKA_PRIVATE, true), a.Create(CKA.CKA_SIGN, true),
            a.Create(CKA.CKA_SENSITIVE, true), a.Create(CKA.CKA_EXTRACTABLE, false),
            a.Create(CKA.CKA_LABEL, label), a.Create(CKA.CKA_ID, id),
        ];

        IMechanism mechanism;
        switch (type)
        {
            case CaKeyType.EcdsaP256 or CaKeyType.EcdsaP384:
                publicTemplate.Add(a.Create(CKA.CKA_EC_PARAMS, type == CaKeyType.EcdsaP256 ? Pkcs11Constants.P256Params : Pkcs11Constants.P384Params));
                mechanism = f.Create(CKM.CKM_EC_KEY_PAIR_GEN);
                break;
            case CaKeyType.Ed25519:
                publicTemplate.Add(a.Create(CKA.CKA_EC_PARAMS, Pkcs11Constants.Ed25519OidParams));
                mechanism = f.Create(Pkcs11Constants.CkmEcEdwardsKeyPairGen);
                break;
            default:
                var bits = type switch { CaKeyType.Rsa2048 => 2048UL, CaKeyType.Rsa3072 => 3072UL, _ => 4096UL };
                publicTemplate.Add(a.Create(CKA.CKA_MODULUS_BITS, bits));
                publicTemplate.Add(a.Create(CKA.CKA_PUBLIC_EXPONENT, new byte[] { 0x01, 0x00, 0x01 }));
                mechanism = f.Create(CKM.CKM_RSA_PKCS_KEY_PAIR_GEN);
                break;
        }

        try
        {
            using (mechanism)
            {
                session.GenerateKeyPair(mechanism, publicTemplate, privateTemplate, out _, out _);
            }
        }
        catch (Pkcs11Exception e)
        {
            throw Pkcs11Errors.ToHsmException(e, $"token '{token.Label}': generating {type} key '{label}'");
        }
        finally
        {
            DisposeAll(publicTemplate);
            DisposeAll(privateTemplate);
        }

        return Pkcs11KeyReader.Find(session, KeyUri(token, label, id)).Public;
    }

    /// <summary>
    /// Initialises a token in the module's first free slot (SoftHSM2 keeps one; hardware HSMs are
    /// initialised with their vendor's tools) and sets its user PIN. Returns the token label.
    /// </summary>
    public static string InitializeToken(string modulePath, string label, ReadOnlySpan<byte> soPin, ReadOnlySpan<byte> userPin)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        var library = Pkcs11Library.Get(modulePath);
        try
        {
            var free = library.GetSlotList(SlotsType.WithTokenPresent).FirstOrDefault(s => !s.GetTokenInfo().TokenFlags.TokenInitialized)
                ?? throw new HsmException(HsmErrorKind.TokenNotFound, $"{modulePath}: no free slot to initialise a token in");
            free.InitToken(soPin.ToArray(), System.Text.Encoding.UTF8.GetBytes(label));
            var slot = library.GetSlotList(SlotsType.WithTokenPresent).Single(s => s.GetTokenInfo().Label.Trim() == label);
            using var session = slot.OpenSession(SessionType.ReadWrite);
            session.Login(CKU.CKU_SO, soPin.ToArray());
            session.InitPin(userPin.ToArray());
            session.Logout();
            return label;
        }
        catch (Pkcs11Exception e)
        {
            throw Pkcs11Errors.ToHsmException(e, $"{modulePath}: initialising token '{label}'");
        }
    }

    /// <summary>Every private key on the token with its public key (or why it cannot be read).</summary>
    public static IReadOnlyList<KeyEntry> List(Pkcs11Token token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var a = Pkcs11Library.Factories.ObjectAttributeFactory;
        var entries = new List<KeyEntry>();
        foreach (var handle in token.Anchor.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY)]))
        {
            var attributes = token.Anchor.GetAttributeValue(handle, [CKA.CKA_LABEL, CKA.CKA_ID]);
            var label = attributes[0].GetValueAsString() ?? string.Empty;
            var id = attributes[1].GetValueAsByteArray() ?? [];
            try
            {
                entries.Add(new KeyEntry(label, id, Pkcs11KeyReader.Find(token.Anchor, KeyUri(token, null, id)).Public, null));
            }
            catch (HsmException e)
            {
                entries.Add(new KeyEntry(label, id, null, e.Message));
            }
        }

        return entries;
    }

    private static Pkcs11KeyUri KeyUri(Pkcs11Token token, string? label, byte[] id)
    {
        var uri = $"pkcs11:token={Uri.EscapeDataString(token.Label)};id={string.Concat(id.Select(b => $"%{b:x2}"))}";
        if (label is not null)
        {
            uri += $";object={Uri.EscapeDataString(label)}";
        }

        return Pkcs11KeyUri.Parse(uri);
    }

    private static void DisposeAll(List<IObjectAttribute> attributes)
    {
        foreach (var attribute in attributes)
        {
            attribute.Dispose();
        }
    }
}
