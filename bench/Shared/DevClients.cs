using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Benchmarks.Shared;

/// <summary>Clients of a development CA's folder (DevEnvironment.WritePki): mTLS as CN=dev-client, and the operator socket.</summary>
internal static class DevClients
{
    /// <summary>An mTLS client trusting only the folder's TLS CA.</summary>
    public static CertificateAuthorityService.CertificateAuthorityServiceClient Tls(string dir, int port) => new(TlsChannel(dir, port));

    /// <summary>The channel under <see cref="Tls"/>, several HTTP/2 connections allowed.</summary>
    public static GrpcChannel TlsChannel(string dir, int port)
    {
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(dir, "client.pem"), Path.Combine(dir, "client.key"));
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(Path.Combine(dir, "tls-ca.pem"));
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, server, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return server is not null && chain.Build(X509CertificateLoader.LoadCertificate(server.GetRawCertData()));
                },
            },
        };
        return GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler });
    }

    /// <summary>A channel on a Unix socket (health, operator RPCs).</summary>
    public static GrpcChannel Socket(string path)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler });
    }
}
