using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using SshHsmCa.Protos.V1;

namespace SshHsmCa.Cli;

/// <summary>
/// How the CLI reaches the CA: the operator socket, or mTLS with a client certificate. Every call
/// has a deadline (<see cref="Timeout"/>; a streamed batch at least <see cref="MinimumStreamTimeout"/>,
/// for the touches it waits on) and the connection sends HTTP/2 keep-alive pings, so a CA that
/// accepts a call and never answers fails the command (exit 3) instead of hanging a timer's
/// oneshot unit forever (issue 26).
/// </summary>
internal sealed record Connection(string? Socket, string? Server, string? ClientCertificate, string? ClientKey, string? ServerCa)
{
    /// <summary>The deadline of a call when none is given (--timeout, SSH_HSM_CA_TIMEOUT).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The least deadline of a streamed call (a batch waits for an operator's touches).</summary>
    public static readonly TimeSpan MinimumStreamTimeout = TimeSpan.FromHours(1);

    /// <summary>How long each call may take before the command gives up.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The connection this process made last (one per command), for error messages.</summary>
    public static Connection? Current { get; private set; }

    /// <summary>TLS roots held in memory (setup, before anything is written); otherwise <see cref="ServerCa"/> is read.</summary>
    public X509Certificate2Collection? Roots { get; init; }

    /// <summary>Why the last TLS handshake was refused by this side, in words.</summary>
    public string? TlsProblem { get; private set; }

    /// <summary>The address, for messages: the socket path or the URL.</summary>
    public string Describe() => Socket is not null ? $"the operator socket {Socket}" : Server ?? "the CA";

    /// <summary>True when a CA was named (socket or server).</summary>
    public bool IsConfigured => Socket is not null || Server is not null;

    /// <summary>A client; <paramref name="authorization"/> ("Bearer …", "Bootstrap …") goes in every call's header.</summary>
    public CertificateAuthorityService.CertificateAuthorityServiceClient CreateClient(string? authorization = null)
    {
        var client = CreateChannel().Intercept(new DeadlineInterceptor(Timeout, Timeout > MinimumStreamTimeout ? Timeout : MinimumStreamTimeout));
        return authorization is null
            ? new CertificateAuthorityService.CertificateAuthorityServiceClient(client)
            : new CertificateAuthorityService.CertificateAuthorityServiceClient(client.Intercept(metadata =>
            {
                metadata.Add("authorization", authorization);
                return metadata;
            }));
    }

    /// <summary>HTTP/2 keep-alive pings: a connection whose peer went away fails within a minute, not at TCP's pace.</summary>
    private static SocketsHttpHandler WithKeepAlive(SocketsHttpHandler handler)
    {
        handler.KeepAlivePingDelay = TimeSpan.FromSeconds(20);
        handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always;
        handler.ConnectTimeout = TimeSpan.FromSeconds(15);
        return handler;
    }

    private Grpc.Core.CallInvoker CreateChannel()
    {
        Current = this;
        if (Socket is not null)
        {
            var path = Socket;
            var handler = WithKeepAlive(new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancellationToken) =>
                {
                    var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            });
            return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler }).CreateCallInvoker();
        }

        if (Server is null || (ServerCa is null && Roots is null) || (ClientCertificate is null) != (ClientKey is null))
        {
            throw new UsageException("give --socket PATH, or --server URL with --server-ca (and --client-cert with --client-key for mTLS), or set them with the SSH_HSM_CA_* variables");
        }

        if (!Uri.TryCreate(Server, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.Host.Length == 0)
        {
            throw new ConnectionException($"cannot reach the CA: --server '{Server}' is not a URL; did you mean https://{Server}?");
        }

        X509Certificate2Collection clientCertificates = [];
        if (ClientCertificate is not null)
        {
            using var pem = X509Certificate2.CreateFromPemFile(ClientCertificate, ClientKey);
            clientCertificates.Add(X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null));
        }

        var roots = Roots ?? [];
        if (Roots is null)
        {
            roots.ImportFromPemFile(ServerCa!);
        }

        var tls = WithKeepAlive(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificates,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null)
                    {
                        TlsProblem = "the server sent no certificate";
                        return false;
                    }

                    using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != SslPolicyErrors.None)
                    {
                        var names = presented.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames().Concat(e.EnumerateIPAddresses().Select(a => a.ToString()))).ToList();
                        TlsProblem = $"the server's certificate is for {(names.Count == 0 ? presented.Subject : string.Join(", ", names))}, not {url.Host}; use that name in --server";
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    if (!chain.Build(presented))
                    {
                        TlsProblem = $"the server's certificate ({presented.Subject}) does not chain to --server-ca {ServerCa}";
                        return false;
                    }

                    return true;
                },
            },
        });
        return GrpcChannel.ForAddress(Server, new GrpcChannelOptions { HttpHandler = tls }).CreateCallInvoker();
    }
}
