namespace SshHsmCa.Hsm.Piv;

/// <summary>Where a slot's key came from (GET METADATA tag 03).</summary>
public enum PivKeyOrigin : byte
{
    /// <summary>Not reported.</summary>
    Unknown = 0,

    /// <summary>Generated on the device: the private key never existed outside it.</summary>
    Generated = 1,

    /// <summary>Imported from outside.</summary>
    Imported = 2,
}
