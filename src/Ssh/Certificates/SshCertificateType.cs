namespace SshHsmCa.Ssh.Certificates;

/// <summary>The certificate's <c>type</c> field (PROTOCOL.certkeys): anything else fails parsing.</summary>
public enum SshCertificateType : uint
{
    /// <summary>SSH2_CERT_TYPE_USER: presented by a user to sshd.</summary>
    User = 1,

    /// <summary>SSH2_CERT_TYPE_HOST: presented by sshd to a client.</summary>
    Host = 2,
}
