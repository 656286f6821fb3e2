using SshHsmCa.VirtualCards;

namespace SshHsmCa.Interop.Tests.Support;

/// <summary>The PIV test collection's fixture: pcscd with vpcd and one virtual YubiKey 5.7 in the reader.</summary>
public sealed class VirtualCard : IDisposable
{
    public VirtualCard()
    {
        Pcscd = new Pcscd();
        Authority = new AttestationAuthority();
        Key = new VirtualYubiKey(() => Pcscd.ConnectCard(), Authority, Serial);
        Key.Insert();
        WaitForCard(present: true);
    }

    public const uint Serial = 12345678;

    public Pcscd Pcscd { get; }

    public AttestationAuthority Authority { get; }

    public VirtualYubiKey Key { get; }

    /// <summary>
    /// Back to a factory-fresh 5.7 card's credentials (PIN 123456, PUK 12345678, the default
    /// AES-192 management key) and an immediate touch; each test starts from here.
    /// </summary>
    public void Factory()
    {
        Key.Personalise("123456", "12345678", Hsm.Piv.PivManagementKey.DefaultKey.ToArray(), 0x0A);
        Key.TouchMode = TouchMode.Auto;
        Key.TouchDelay = TimeSpan.Zero;
        Key.TouchTimeout = TimeSpan.FromSeconds(15);
        if (!Key.Inserted)
        {
            Insert();
        }

        Key.ForgetTouch();
    }

    /// <summary>Pulls the card and waits until pcscd has seen it go.</summary>
    public void Remove()
    {
        Key.Remove();
        WaitForCard(present: false);
    }

    /// <summary>Re-inserts it and waits until pcscd has powered it.</summary>
    public void Insert()
    {
        Key.Insert();
        WaitForCard(present: true);
    }

    private static void WaitForCard(bool present)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var card = Hsm.Piv.PcscCard.Connect(Pcscd.ReaderName);
                new Hsm.Piv.PivSession(card).Select();
                if (present)
                {
                    return;
                }
            }
            catch (Hsm.HsmException)
            {
                if (!present)
                {
                    return;
                }
            }

            Thread.Sleep(50);
        }

        throw new TimeoutException($"the virtual card did not become {(present ? "present" : "absent")} in the reader");
    }

    public void Dispose()
    {
        Key.Dispose();
        Authority.Dispose();
        Pcscd.Dispose();
    }
}
