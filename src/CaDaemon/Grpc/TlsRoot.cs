using System.Security.Cryptography.X509Certificates;

namespace SshHsmCa.CaDaemon.Grpc;

/// <summary>
/// The root that ends the chain in <c>tls.certificateFile</c> (a self-signed certificate after the
/// server's own), published for clients to pin by fingerprint; empty when the file has none.
/// </summary>
internal sealed class TlsRoot
{
    private TlsRoot(string pem) => Pem = pem;

    /// <summary>The root as PEM, or empty.</summary>
    public string Pem { get; }

    /// <summary>No TLS listener or no root in its file.</summary>
    public static TlsRoot None { get; } = new(string.Empty);

    /// <summary>The last certificate of the chain in <paramref name="chain"/>, when it is self-signed.</summary>
    public static TlsRoot From(X509Certificate2Collection chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return chain.Count > 0 && chain[^1] is { } last && last.SubjectName.RawData.AsSpan().SequenceEqual(last.IssuerName.RawData)
            ? new TlsRoot(last.ExportCertificatePem() + "\n")
            : None;
    }
}
