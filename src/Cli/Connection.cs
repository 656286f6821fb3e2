using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli;

/// <summary>How the CLI reaches the CA: the operator socket, or mTLS with a client certificate.</summary>
internal sealed record Connection(string? Socket, string? Server, string? ClientCertificate, string? ClientKey, string? ServerCa)
{
    /// <summary>True when a CA was named (socket or server).</summary>
    public bool IsConfigured => Socket is not null || Server is not null;

    /// <summary>A client; <paramref name="authorization"/> ("Bearer …", "Bootstrap …") goes in every call's header.</summary>
    public CertificateAuthorityService.CertificateAuthorityServiceClient CreateClient(string? authorization = null)
    {
        var client = CreateChannel();
        return authorization is null
            ? new CertificateAuthorityService.CertificateAuthorityServiceClient(client)
            : new CertificateAuthorityService.CertificateAuthorityServiceClient(client.Intercept(metadata =>
            {
                metadata.Add("authorization", authorization);
                return metadata;
            }));
    }

    private Grpc.Core.CallInvoker CreateChannel()
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
            return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler }).CreateCallInvoker();
        }

        if (Server is null || ServerCa is null || (ClientCertificate is null) != (ClientKey is null))
        {
            throw new UsageException("give --socket PATH, or --server URL with --server-ca (and --client-cert with --client-key for mTLS)");
        }

        X509Certificate2Collection clientCertificates = [];
        if (ClientCertificate is not null)
        {
            using var pem = X509Certificate2.CreateFromPemFile(ClientCertificate, ClientKey);
            clientCertificates.Add(X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null));
        }

        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(ServerCa);
        var tls = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificates,
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
        return GrpcChannel.ForAddress(Server, new GrpcChannelOptions { HttpHandler = tls }).CreateCallInvoker();
    }
}
