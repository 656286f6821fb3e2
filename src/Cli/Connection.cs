using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli;

/// <summary>How the CLI reaches the CA: the operator socket, or mTLS with a client certificate.</summary>
internal sealed record Connection(string? Socket, string? Server, string? ClientCertificate, string? ClientKey, string? ServerCa)
{
    public CertificateAuthorityService.CertificateAuthorityServiceClient CreateClient()
    {
        if (Socket is not null)
        {
            var path = Socket;
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            return new CertificateAuthorityService.CertificateAuthorityServiceClient(GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler }));
        }

        if (Server is null || ClientCertificate is null || ClientKey is null || ServerCa is null)
        {
            throw new UsageException("give --socket PATH, or --server URL with --client-cert, --client-key and --server-ca");
        }

        using var pem = X509Certificate2.CreateFromPemFile(ClientCertificate, ClientKey);
        var client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(ServerCa);
        var tls = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [client],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != SslPolicyErrors.None)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        };
        return new CertificateAuthorityService.CertificateAuthorityServiceClient(GrpcChannel.ForAddress(Server, new GrpcChannelOptions { HttpHandler = tls }));
    }
}
