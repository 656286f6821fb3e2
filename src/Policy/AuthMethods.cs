namespace SshHsmCa.Policy;

/// <summary>How an <see cref="AuthMethod"/> is named in messages and key ids (never the C# enum name).</summary>
public static class AuthMethods
{
    /// <summary>"mtls", "oidc", "unix-socket", "bootstrap-token", "host-certificate".</summary>
    public static string Name(AuthMethod method) => method switch
    {
        AuthMethod.MutualTls => "mtls",
        AuthMethod.Oidc => "oidc",
        AuthMethod.UnixSocket => "unix-socket",
        AuthMethod.BootstrapToken => "bootstrap-token",
        AuthMethod.HostCertificate => "host-certificate",
        _ => "unknown",
    };
}
