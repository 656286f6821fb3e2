using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using SshHsmCa.CaDaemon.Audit;
using SshHsmCa.CaDaemon.Grpc;
using SshHsmCa.CaDaemon.Issuing;
using SshHsmCa.CaDaemon.Keys;
using SshHsmCa.Hsm;
using Prometheus;
using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Hosting;

/// <summary>
/// Builds the daemon: CA keys opened and checked, audit store and policy loaded, all before the
/// host starts (so READY=1 under systemd means the CA can sign); Kestrel with HTTP/2 only, an mTLS
/// listener checked against the configured client CA bundle (never the system store) and the
/// operator Unix socket.
/// </summary>
internal static partial class DaemonHost
{
    /// <summary>Builds the application; throws with a clear message when a part cannot be opened.</summary>
    /// <param name="options">The configuration, validated here.</param>
    /// <param name="args">Command-line arguments for the host.</param>
    /// <param name="logging">Further logging configuration (tests, benchmarks).</param>
    /// <param name="keys">
    /// The CA keys to sign with, owned by the caller; null opens the configured ones (and disposes
    /// them when the host stops). Tests hand in software keys to host the services in process.
    /// </param>
    /// <param name="configure">Last changes to the builder (a test replaces the server with TestServer, the clock with a fake).</param>
    /// <param name="logKey">The issuance log's key, owned by the caller (tests); null opens <c>log.key</c> when configured.</param>
    public static WebApplication Build(DaemonOptions options, string[]? args = null, Action<ILoggingBuilder>? logging = null, CaKeySet? keys = null, Action<WebApplicationBuilder>? configure = null, ICaKey? logKey = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = DaemonOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("configuration refused:\n  " + string.Join("\n  ", errors));
        }

        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.Host.UseSystemd();
        builder.Logging.ClearProviders();
        var serilog = Logging.DaemonLogging.Create(Logging.DaemonLogging.UnderJournald);
        // As a plain provider: AddSerilog would also add a Trace-level filter rule for Serilog's
        // provider, which outranks SetMinimumLevel, so a caller's "Warning" (the load benchmark)
        // still let every "issued serial" line through (issue 19).
        builder.Logging.AddProvider(new Serilog.Extensions.Logging.SerilogLoggerProvider(serilog, dispose: true));
        // The CA keys are opened before the host is built: they log through the same Serilog logger.
        var keyLoggers = new Serilog.Extensions.Logging.SerilogLoggerFactory(serilog, dispose: false);
        logging?.Invoke(builder.Logging);
        var policyFile = File.ReadAllBytes(options.PolicyFile!);
        var policy = new PolicyHolder(SshPolicy.Load(ConfigurationReloadService.PolicyText(policyFile)));
        var metrics = new CaMetrics();
        var ownsKeys = keys is null;
        var audit = OpenAudit(options);
        ICaKey OpenConfigured(string name, CaKeyOptions key) => CaKeyLoader.OpenConfigured(key, keyLoggers);
        try
        {
            keys ??= new CaKeySet(new CaKeyLoader(audit, OpenConfigured, TimeProvider.System).LoadAsync(options.KeysOf, null, CancellationToken.None).GetAwaiter().GetResult());
        }
        catch
        {
            audit.Dispose();
            throw;
        }

        // The policy the daemon starts with is the first leaf of its run in the issuance log.
        audit.Appliance = options.ApplianceName ?? Environment.MachineName;
        audit.AppendLogAsync(Ssh.Transparency.LogEntry.ForReload((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), audit.Appliance, policyFile, "start",
            $"start: policy {options.PolicyFile}, {policy.Current.RoleNames.Count} roles"), CancellationToken.None).GetAwaiter().GetResult();

        var ownsLogKey = logKey is null && options.Log?.Key is not null;
        Transparency.LogSigner? logSigner;
        try
        {
            logKey ??= options.Log?.Key is { } logKeyOptions ? CaKeyLoader.OpenConfigured(logKeyOptions, keyLoggers) : null;
            logSigner = logKey is null ? null : new Transparency.LogSigner(logKey, options.Log?.Origin ?? throw new InvalidOperationException("$.log.origin: needed with a log key"), options.Log.SignerName ?? options.Log.Origin);
        }
        catch
        {
            audit.Dispose();
            throw;
        }

        builder.Services.AddSingleton(policy);
        builder.Services.AddSingleton<IAuditStore>(audit);
        builder.Services.AddSingleton<ILogStore>(audit);
        builder.Services.AddSingleton(sp => new Transparency.IssuanceLog(audit, logSigner, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Transparency.IssuanceLog>>()));
        builder.Services.AddSingleton(sp => new Transparency.CheckpointService(sp.GetRequiredService<Transparency.IssuanceLog>(), TimeSpan.FromSeconds(options.Log?.CheckpointSeconds ?? 10), sp.GetRequiredService<ILogger<Transparency.CheckpointService>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Transparency.CheckpointService>());
        builder.Services.AddSingleton(new Transparency.LogAuditor(audit, audit, audit, logSigner));
        builder.Services.AddSingleton<ICertificateStore>(audit);
        builder.Services.AddSingleton<IBootstrapTokenStore>(audit);
        builder.Services.AddSingleton<IRevocationStore>(audit);
        builder.Services.AddSingleton<IKeyStateStore>(audit);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(RandomNumberGenerator.Create());
        builder.Services.AddSingleton(keys);
        metrics.Observe(() => (keys.User, keys.Host));
        builder.Services.AddSingleton(metrics);
        var journalSocket = options.JournalSocket ?? (File.Exists(JournalAuditEvents.DefaultSocket) ? JournalAuditEvents.DefaultSocket : string.Empty);
        var journal = journalSocket.Length > 0 ? new JournalAuditEvents(journalSocket) : null;
        builder.Services.AddSingleton<ISecurityKeyStore>(audit);
        var securityKeyOptions = options.SecurityKeys ?? new SecurityKeys.SecurityKeyOptions();
        var attestationRoots = SecurityKeys.SecurityKeyOptions.Load(securityKeyOptions.AttestationRoots, "attestationRoots");
        var attestationIntermediates = SecurityKeys.SecurityKeyOptions.Load(securityKeyOptions.AttestationIntermediates, "attestationIntermediates");
        builder.Services.AddSingleton(sp => new SecurityKeys.SecurityKeyEnrollment(audit,
            new SecurityKeys.EnrollmentChallenges(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<RandomNumberGenerator>(), TimeSpan.FromSeconds(securityKeyOptions.ChallengeSeconds)),
            attestationRoots, attestationIntermediates, sp.GetRequiredService<TimeProvider>(), journal));
        builder.Services.AddSingleton(sp => new IssuingPipeline(policy, keys, audit, sp.GetRequiredService<Auth.RequestAuthenticator>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<RandomNumberGenerator>(), metrics, sp.GetRequiredService<ILogger<IssuingPipeline>>(), journal, sp.GetRequiredService<SecurityKeys.SecurityKeyEnrollment>()));
        var oidc = options.Oidc is null ? null : new Auth.OidcTokenValidator(options.Oidc);
        builder.Services.AddSingleton(sp => new Auth.RequestAuthenticator(audit, policy, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Auth.RequestAuthenticator>>(), oidc));
        builder.Services.AddSingleton(sp => new Auth.SourceLimits(options.RateLimits, metrics, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Auth.SourceLimits>>()));
        builder.Services.AddSingleton(sp => new Auth.RenewalChallenges(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<RandomNumberGenerator>()));
        builder.Services.AddSingleton<Hosts.HostEnrollment>();
        // The slots of every configured CA key, whatever its state, are not the ceremony's to overwrite.
        builder.Services.AddSingleton(sp => new Ceremony.PivCeremony(options.Piv, () => options.KeysOf(user: true).Select(k => ("user", k.Value.Uri)).Concat(options.KeysOf(user: false).Select(k => ("host", k.Value.Uri))), sp.GetRequiredService<ILogger<Ceremony.PivCeremony>>()));
        builder.Services.AddSingleton(sp => new Revocation.Revocations(audit, audit, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Revocation.Revocations>>(), journal,
            sp.GetRequiredService<Transparency.CheckpointService>().Nudge));
        builder.Services.AddSingleton(sp => new Revocation.KrlPublisher(audit, keys, metrics, sp.GetRequiredService<ILogger<Revocation.KrlPublisher>>()));
        builder.Services.AddSingleton(sp => new Revocation.KrlPruneService(audit, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Revocation.KrlPruneService>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Revocation.KrlPruneService>());
        builder.Services.AddGrpc(o =>
        {
            // The source limits see UNAUTHENTICATED as the status it is: the failure table runs inside them.
            o.Interceptors.Add<SourceLimitInterceptor>();
            o.Interceptors.Add<FailureInterceptor>();
            o.MaxReceiveMessageSize = 256 * 1024;
            o.EnableDetailedErrors = false;
        });
        // Every service is bound through StrictMessageMethodProvider (malformed protobuf is
        // INVALID_ARGUMENT), in place of grpc-dotnet's default binder, never beside it.
        var binders = builder.Services.Where(d => Equals(d.ServiceType, typeof(global::Grpc.AspNetCore.Server.Model.IServiceMethodProvider<>))
            && d.ImplementationType?.Name == "BinderServiceMethodProvider`1").ToList();
        if (binders.Count != 1)
        {
            throw new InvalidOperationException($"expected grpc-dotnet's one default service binder, found {binders.Count}");
        }

        builder.Services.Remove(binders[0]);
        builder.Services.AddSingleton(typeof(global::Grpc.AspNetCore.Server.Model.IServiceMethodProvider<>), typeof(StrictMessageMethodProvider<>));
        builder.Services.AddHostedService(sp => new WatchdogService(sp, sp.GetRequiredService<IHostApplicationLifetime>(), () => [keys.User, keys.Host], options.KeyUnavailableRestartSeconds, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WatchdogService>>()));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp => new CaKeyLoader(audit, OpenConfigured, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new Trust.TrustPublisher(audit, audit, audit, keys, sp.GetRequiredService<Revocation.Revocations>(), sp.GetRequiredService<TimeProvider>(), metrics, sp.GetRequiredService<ILogger<Trust.TrustPublisher>>(), options.ApplianceName ?? Environment.MachineName));
        builder.Services.AddHostedService(sp => new Trust.TrustRefreshService(sp.GetRequiredService<Trust.TrustPublisher>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<Trust.TrustRefreshService>>()));
        builder.Services.AddSingleton<ConfigurationReloadService>();
        builder.Services.AddSingleton<Trust.IConfigurationReloader>(sp => sp.GetRequiredService<ConfigurationReloadService>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigurationReloadService>());

        // grpc.health.v1: NOT_SERVING while a CA key's device is unavailable; evaluated per request.
        builder.Services.AddGrpcHealthChecks(o =>
            {
                o.UseHealthChecksCache = false;

                // The service's own name answers as the server does ("" is every check).
                o.Services.Map("", _ => true);
                o.Services.Map(SshHsmCa.Protos.V1.CertificateAuthorityService.Descriptor.FullName, _ => true);
            })
            .AddAsyncCheck("audit-store", async cancel => await audit.PingAsync(cancel).ConfigureAwait(false)
                ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
                : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("the audit store is unavailable"))
            .AddCheck("ca-keys", () => keys.AllAvailable
                ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
                : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("a CA key is unavailable"));
        builder.Services.AddGrpcReflection();

        // tls.certificateFile: the server's certificate, then (optionally) its chain up to the root.
        var fileChain = new X509Certificate2Collection();
        if (options.Tls is { CertificateFile: { } certificateFile })
        {
            fileChain.ImportFromPemFile(certificateFile);
        }

        var tlsRoot = TlsRoot.From(fileChain);

        builder.Services.AddSingleton(tlsRoot);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 256 * 1024;
            if (options.Tls is { } tls)
            {
                var serverCertificate = X509Certificate2.CreateFromPemFile(tls.CertificateFile!, tls.KeyFile);

                // The certificates after the first in certificateFile (a full chain, up to the root)
                // are sent with it: clients that pin the root (ssh-hsm-ca setup) find it there.
                var sentChain = new X509Certificate2Collection(fileChain.Skip(1).ToArray());
                var clientCas = new X509Certificate2Collection();
                clientCas.ImportFromPemFile(tls.ClientCaFile!);
                kestrel.Listen(IPAddress.Parse(tls.Address), tls.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = serverCertificate;
                        https.ServerCertificateChain = sentChain.Count > 0 ? sentChain : null;
                        https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                        // Without a required certificate, a caller must bring an ID or bootstrap token (RequestAuthenticator).
                        https.ClientCertificateMode = tls.RequireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate;
                        https.ClientCertificateValidation = (certificate, _, _) => ChainsTo(certificate, clientCas) && HasClientAuthUsage(certificate);
                    });
                });
            }

            if (options is { Publish: { } publish, Tls: { } publishTls })
            {
                var publishCertificate = X509Certificate2.CreateFromPemFile(publishTls.CertificateFile!, publishTls.KeyFile);
                kestrel.Listen(IPAddress.Parse(publish.Address), publish.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = publishCertificate;
                        https.ServerCertificateChain = fileChain.Count > 1 ? new X509Certificate2Collection(fileChain.Skip(1).ToArray()) : null;
                        https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                        https.ClientCertificateMode = ClientCertificateMode.NoCertificate;
                    });
                    ListenerGate.Mark(listen, Listener.Publish);
                });
            }

            if (options.Metrics is { } metrics)
            {
                kestrel.Listen(IPAddress.Parse(metrics.Address), metrics.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;

                    // /metrics is served on this listener's connections and nowhere else, whatever
                    // the Host header says (issue 13) or the path's letter case (issue 26).
                    ListenerGate.Mark(listen, Listener.Metrics);
                });
            }

            if (options.UnixSocket is { } socket)
            {
                if (File.Exists(socket.Path))
                {
                    File.Delete(socket.Path);
                }

                kestrel.ListenUnixSocket(socket.Path, listen => listen.Protocols = HttpProtocols.Http2);
            }
        });

        configure?.Invoke(builder);
        var app = builder.Build();
        ListenerGate.Use(app);
        app.MapGrpcService<CaGrpcService>();
        if (options.Publish is not null)
        {
            KrlEndpoints.Map(app);
            LogEndpoints.Map(app, options.Log?.PublishEntries ?? false);
        }

        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        if (options.Metrics is not null)
        {
            app.MapMetrics("/metrics", metrics.Registry).WithMetadata(new ListenerGate.OnlyOn(Listener.Metrics));
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (options.UnixSocket is { } socket && File.Exists(socket.Path))
            {
                File.SetUnixFileMode(socket.Path, (UnixFileMode)Convert.ToInt32(socket.Mode, 8));
            }
        });
        if (audit.InterruptedAtOpen > 0)
        {
            LogInterrupted(app.Logger, audit.InterruptedAtOpen);
        }

        app.Lifetime.ApplicationStopped.Register(() =>
        {
            if (ownsKeys)
            {
                foreach (var key in keys.All)
                {
                    key.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
            }

            if (ownsLogKey)
            {
                logKey!.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            audit.Dispose();
            journal?.Dispose();
        });
        return app;
    }

    /// <summary>
    /// A client certificate must name the clientAuth extended key usage (RFC 5280 §4.2.1.12,
    /// id-kp-clientAuth): one issued for a server, or with no EKU at all, is not a client's.
    /// </summary>
    internal static bool HasClientAuthUsage(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>()
            .Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == "1.3.6.1.5.5.7.3.2"));
    }

    /// <summary>Client certificates must chain to the configured bundle alone and be valid now.</summary>
    internal static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        return chain.Build(certificate);
    }

    /// <summary>The audit store: PostgreSQL when configured (its password from a credential), SQLite otherwise.</summary>
    private static SqlAuditStore OpenAudit(DaemonOptions options)
    {
        if (options.Postgres is not { } postgres)
        {
            return SqlAuditStore.OpenSqlite(options.AuditDatabase);
        }

        var secret = postgres.PasswordCredential is { } credential ? PinSource.ReadCredential(credential)
            : postgres.PasswordFile is { } file ? PinSource.ReadFile(file)
            : null;
        try
        {
            return SqlAuditStore.OpenPostgres(postgres.ConnectionString!, secret is null ? null : System.Text.Encoding.UTF8.GetString(secret));
        }
        catch (Npgsql.NpgsqlException e)
        {
            throw new InvalidOperationException($"the PostgreSQL audit store could not be opened: {e.Message}", e);
        }
        finally
        {
            if (secret is not null)
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "{Count} issuing attempt(s) left pending by an earlier daemon process were recorded as failed (interrupted)")]
    private static partial void LogInterrupted(Microsoft.Extensions.Logging.ILogger logger, int count);
}
