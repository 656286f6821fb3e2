using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// A token found by label or serial and logged in. The anchor session stays open for the
/// token's lifetime: closing the last session logs the application out (PKCS#11 v2.40 §5.6: the login belongs to the application and ends with its last session).
/// Slot ids are never kept across recoveries; the token is found again by label or serial.
/// </summary>
public sealed class Pkcs11Token : IDisposable
{
    private Pkcs11Token(IPkcs11Library library, ISlot slot, ISession anchor, ITokenInfo info)
    {
        Library = library;
        Slot = slot;
        Anchor = anchor;
        Label = info.Label.Trim();
        Serial = info.SerialNumber.Trim();
        MaxSessionCount = info.MaxSessionCount;
    }

    /// <summary>The module.</summary>
    public IPkcs11Library Library { get; }

    /// <summary>The slot holding the token now.</summary>
    public ISlot Slot { get; }

    /// <summary>The session that holds the login.</summary>
    internal ISession Anchor { get; }

    /// <summary>The token label.</summary>
    public string Label { get; }

    /// <summary>The token serial number.</summary>
    public string Serial { get; }

    /// <summary>CK_TOKEN_INFO.ulMaxSessionCount (0 = unknown/unlimited, CK_EFFECTIVELY_INFINITE).</summary>
    public ulong MaxSessionCount { get; }

    /// <summary>Finds the token the URI names, opens a session and logs in as the user.</summary>
    /// <param name="uri">Token label or serial; <c>module-path</c> or <paramref name="modulePath"/>.</param>
    /// <param name="pin">The user PIN.</param>
    /// <param name="modulePath">The module when the URI has none.</param>
    /// <param name="readWrite">Open the anchor session read-write (key generation).</param>
    public static Pkcs11Token Open(Pkcs11KeyUri uri, ReadOnlySpan<byte> pin, string? modulePath = null, bool readWrite = false)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var path = uri.ModulePath ?? modulePath
            ?? throw new HsmException(HsmErrorKind.Configuration, $"{uri.Describe()}: no module-path in the URI or the configuration");
        var library = Pkcs11Library.Get(path);
        var slot = FindSlot(library, uri);
        ISession? session = null;
        try
        {
            session = slot.OpenSession(readWrite ? SessionType.ReadWrite : SessionType.ReadOnly);
            try
            {
                session.Login(CKU.CKU_USER, pin.ToArray());
            }
            catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
            {
                // Login state is per token and process-wide: another key on this token logged in already.
            }

            return new Pkcs11Token(library, slot, session, slot.GetTokenInfo());
        }
        catch (Pkcs11Exception e)
        {
            session?.Dispose();
            throw Pkcs11Errors.ToHsmException(e, $"{uri.Describe()}: login");
        }
    }

    private static ISlot FindSlot(IPkcs11Library library, Pkcs11KeyUri uri)
    {
        List<ISlot> slots;
        try
        {
            slots = library.GetSlotList(SlotsType.WithTokenPresent);
        }
        catch (Pkcs11Exception e)
        {
            throw Pkcs11Errors.ToHsmException(e, $"{uri.Describe()}: listing slots");
        }

        var matches = new List<ISlot>();
        var seen = new List<string>();
        foreach (var slot in slots)
        {
            ITokenInfo info;
            try
            {
                info = slot.GetTokenInfo();
            }
            catch (Pkcs11Exception)
            {
                continue; // a token that vanished while listing
            }

            var label = info.Label.Trim();
            var serial = info.SerialNumber.Trim();
            seen.Add($"'{label}' (serial {serial})");
            if ((uri.TokenLabel is null || uri.TokenLabel == label) && (uri.TokenSerial is null || uri.TokenSerial == serial))
            {
                matches.Add(slot);
            }
        }

        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new HsmException(HsmErrorKind.TokenNotFound, $"{uri.Describe()}: no such token present; tokens seen: {(seen.Count == 0 ? "none" : string.Join(", ", seen))}"),
            _ => throw new HsmException(HsmErrorKind.TokenNotFound, $"{uri.Describe()}: {matches.Count} tokens match; add serial= to the URI"),
        };
    }

    /// <summary>
    /// Closes the anchor session (the login ends with the application's last session on the
    /// token). Only this one: other keys on the token keep theirs (C_CloseAllSessions would end them too).
    /// </summary>
    public void Dispose()
    {
        try
        {
            Anchor.CloseSession();
        }
        catch (Pkcs11Exception)
        {
            // The token may be gone already; nothing is left to close.
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
