namespace SshHsmCa.Ssh.Certificates;

/// <summary>Which certificate section an option belongs to.</summary>
public enum SshOptionKind
{
    /// <summary>A critical option: a verifier that does not know it must refuse the certificate.</summary>
    Critical,

    /// <summary>An extension: a verifier that does not know it ignores it.</summary>
    Extension,
}
