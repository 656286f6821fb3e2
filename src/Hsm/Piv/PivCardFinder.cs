namespace SshHsmCa.Hsm.Piv;

/// <summary>Finds the YubiKey a <see cref="PivCaKeyOptions"/> names among pcscd's readers.</summary>
internal static class PivCardFinder
{
    /// <summary>Connects to the reader: by name, by serial among all readers, or the only one.</summary>
    public static PcscCard Find(PivCaKeyOptions options)
    {
        if (options.Reader is not null)
        {
            return PcscCard.Connect(options.Reader);
        }

        var readers = PcscCard.ListReaders();
        if (readers.Count == 0)
        {
            throw new HsmException(HsmErrorKind.TokenNotFound, "no PC/SC reader is present (is the YubiKey plugged in and pcscd running?)");
        }

        if (options.Serial is null)
        {
            return readers.Count == 1
                ? PcscCard.Connect(readers[0])
                : throw new HsmException(HsmErrorKind.Configuration, $"{readers.Count} readers present ({string.Join(", ", readers)}): name the YubiKey with serial= or reader=");
        }

        var seen = new List<string>();
        foreach (var reader in readers)
        {
            PcscCard? card = null;
            try
            {
                card = PcscCard.Connect(reader);
                var session = new PivSession(card);
                using (card.BeginTransaction())
                {
                    session.Select();
                    var serial = session.GetSerial();
                    if (serial == options.Serial)
                    {
                        var found = card;
                        card = null;
                        return found;
                    }

                    seen.Add($"{reader}: {serial}");
                }
            }
            catch (HsmException e)
            {
                seen.Add($"{reader}: {e.Message}");
            }
            finally
            {
                card?.Dispose();
            }
        }

        throw new HsmException(HsmErrorKind.TokenNotFound, $"no YubiKey with serial {options.Serial} (seen: {string.Join("; ", seen)})");
    }
}
