using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// A CA key on a PKCS#11 token: a pool of sessions, each signature verified in software before it
/// is returned, and recovery after device faults without a restart (PKCS#11 v2.40 base specification §5.6, sessions; §5.4, C_Initialize and C_Finalize).
/// </summary>
public sealed partial class Pkcs11CaKey : ISessionPoolCaKey
{
    private readonly Pkcs11KeyUri _uri;
    private readonly byte[] _pin;
    private readonly Pkcs11CaKeyOptions _options;
    private readonly ILogger _logger;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(2);
    private readonly Pkcs11Module _module;
    private Pkcs11Generation? _current;
    private bool _disposed;
    private int _recovering;
    private long _retryAt;

    private Pkcs11CaKey(Pkcs11KeyUri uri, byte[] pin, Pkcs11CaKeyOptions options, ILogger logger)
    {
        _uri = uri;
        _pin = pin;
        _options = options;
        _logger = logger;
        Description = uri.Describe();
        PublicKey = null!;
        _module = Pkcs11Library.Module(uri.ModulePath ?? options.ModulePath
            ?? throw new HsmException(HsmErrorKind.Configuration, $"{uri.Describe()}: no module-path in the URI or the configuration"));
    }

    /// <summary>The module this key is on (how often it was re-initialised, for tests and metrics).</summary>
    public Pkcs11Module Module => _module;

    /// <inheritdoc />
    public SshPublicKey PublicKey { get; private set; }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>The CA key's SHA256 fingerprint.</summary>
    public string Fingerprint { get; private set; } = string.Empty;

    /// <inheritdoc />
    public bool IsAvailable => Volatile.Read(ref _current) is { IsBroken: false };

    /// <summary>Sessions in the current pool (0 while unavailable).</summary>
    public int PoolSize => Volatile.Read(ref _current)?.Size ?? 0;

    /// <summary>Sessions idle right now (metrics).</summary>
    public int IdleSessions => Volatile.Read(ref _current)?.IdleCount ?? 0;

    /// <summary>Whether the module waits for its device (a network HSM) rather than computing on the calling thread, as measured when the key opened.</summary>
    public bool ModuleWaits { get; private set; }

    /// <summary>How long the module took to answer a call when the key opened (C_GetSessionInfo).</summary>
    public TimeSpan ModuleCallTime { get; private set; }

    /// <summary>Times the backend rebuilt its sessions after a fault.</summary>
    public int Recoveries { get; private set; }

    /// <summary>The SSH signature algorithm this key signs with.</summary>
    public string SignatureAlgorithm => PublicKey switch
    {
        RsaPublicKey => _options.RsaSignatureAlgorithm,
        _ => PublicKey.KeyType,
    };

    /// <summary>
    /// Opens the key: finds the token, logs in, finds the key, checks it against the expected
    /// public key, and fills the session pool. Fails with the kind an operator can act on.
    /// </summary>
    /// <param name="options">Where the key is.</param>
    /// <param name="pin">The user PIN (copied; kept in memory to log in again after a fault).</param>
    /// <param name="logger">Logger; never receives the PIN.</param>
    public static Pkcs11CaKey Open(Pkcs11CaKeyOptions options, ReadOnlySpan<byte> pin, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RsaSignatureAlgorithm is not (SshSignatureAlgorithms.RsaSha512 or SshSignatureAlgorithms.RsaSha256))
        {
            throw new HsmException(HsmErrorKind.Configuration, $"RSA CA keys sign rsa-sha2-512 or rsa-sha2-256, not '{options.RsaSignatureAlgorithm}'");
        }

        if (options.SignTimeout <= TimeSpan.Zero)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"sign timeout {options.SignTimeout} must be positive");
        }

        if (options.PoolSize is < 1 or > Pkcs11PoolSizing.MaxPoolSize)
        {
            throw new HsmException(HsmErrorKind.Configuration, $"pool size {options.PoolSize} is outside 1..{Pkcs11PoolSizing.MaxPoolSize}");
        }

        var key = new Pkcs11CaKey(Pkcs11KeyUri.Parse(options.Uri), pin.ToArray(), options, logger ?? NullLogger.Instance);
        var (generation, publicKey) = key.BuildGeneration();
        key._current = generation;
        key.PublicKey = publicKey;
        key.Fingerprint = publicKey.GetSha256Fingerprint();
        key.CheckExpected();
        key.LogReady(generation);

        // Only a key that opened joins its module's recovery: one that failed to open (wrong PIN,
        // wrong key) must never be retried in the background.
        key._module.Register(key);
        return key;
    }

    /// <inheritdoc />
    public Task<SshSignature> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default) =>
        SignCoreAsync(toBeSigned, verify: true, cancellationToken);

    /// <summary>The raw device rate without software verification: benchmarks only, never for issuing.</summary>
    internal Task<SshSignature> SignUnverifiedAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default) =>
        SignCoreAsync(toBeSigned, verify: false, cancellationToken);

    private async Task<SshSignature> SignCoreAsync(ReadOnlyMemory<byte> toBeSigned, bool verify, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.SignTimeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            Pkcs11Generation generation;
            ISession session;
            while (true)
            {
                generation = await GetHealthyGenerationAsync(deadline.Token).ConfigureAwait(false);
                try
                {
                    session = await generation.RentAsync(deadline.Token).ConfigureAwait(false);
                    break;
                }
                catch (ChannelClosedException)
                {
                    // The generation was replaced while we waited for a session: wait on the new
                    // one. The deadline bounds this loop.
                }
            }

            byte[] raw;
            using (deadline.Token.Register(() => Pkcs11Log.Timeout(_logger, Description, _options.SignTimeout.TotalMilliseconds)))
            {
                // The call runs on this thread: handing it to another thread cost half the
                // single-thread throughput on this machine (P-256: 8.4k/s against 15.3k/s inline,
                // raw C_Sign 16.3k/s), and a PKCS#11 call cannot be interrupted either way. At most
                // PoolSize threads are ever inside the module; the deadline bounds the wait for a
                // session, and a call that overruns it fails with Timeout when it returns.
                try
                {
                    raw = SignOnSession(generation, session, toBeSigned);
                }
                catch (Pkcs11Exception e)
                {
                    // Marks the generation broken first, so the session is closed, not pooled again.
                    throw Fault(generation, e);
                }
                finally
                {
                    generation.Return(session);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetElapsedTime(started) > _options.SignTimeout)
            {
                // Measured, not left to the timer: a timer can fire late, the clock cannot.
                throw new HsmException(HsmErrorKind.Timeout, $"{Description}: the device took longer than {_options.SignTimeout.TotalMilliseconds:0.###} ms; the signature is discarded");
            }
            var signature = Encode(generation, raw);
            if (verify)
            {
                var verdict = SshSignatureVerifier.Verify(PublicKey, toBeSigned.Span, signature);
                if (verdict != SignatureVerification.Valid)
                {
                    Pkcs11Log.BadSignature(_logger, Description, verdict.ToString());
                    generation.MarkBroken();
                    StartRecoveryLoop();
                    throw new HsmException(HsmErrorKind.DeviceUnavailable, $"{Description}: the device returned a signature that does not verify ({verdict}); it was not released");
                }
            }

            return signature;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            throw new HsmException(HsmErrorKind.Timeout, $"{Description}: no signature within {_options.SignTimeout.TotalSeconds:0.###} s (waited {elapsed.TotalMilliseconds:0} ms)");
        }
    }

    private HsmException Fault(Pkcs11Generation generation, Pkcs11Exception e)
    {
        if (Pkcs11Errors.IsSessionFault(e.RV))
        {
            Pkcs11Log.Fault(_logger, Description, e.RV.ToString());
            generation.MarkBroken();
            StartRecoveryLoop();
        }

        return new HsmException(HsmErrorKind.DeviceUnavailable, $"{Description}: signing failed with {e.RV}", e);
    }

    private byte[] SignOnSession(Pkcs11Generation generation, ISession session, ReadOnlyMemory<byte> toBeSigned)
    {
        var f = Pkcs11Library.Factories.MechanismFactory;
        switch (PublicKey)
        {
            case Ed25519PublicKey:
            {
                using var mechanism = f.Create(Pkcs11Constants.CkmEddsa);
                return Sign(session, mechanism, generation.Key, toBeSigned.ToArray(), 64);
            }

            case EcdsaPublicKey ec:
            {
                // SoftHSM has no CKM_ECDSA_SHA*: hash on the host with the curve's hash (RFC 5656 §6.2.1).
                var digest = CryptographicOperations.HashData(ec.Curve.Hash, toBeSigned.Span);
                using var mechanism = f.Create(CKM.CKM_ECDSA);
                return Sign(session, mechanism, generation.Key, digest, 2 * ec.Curve.FieldSize);
            }

            case RsaPublicKey rsa:
            {
                var combined = _options.RsaSignatureAlgorithm == SshSignatureAlgorithms.RsaSha512 ? CKM.CKM_SHA512_RSA_PKCS : CKM.CKM_SHA256_RSA_PKCS;
                if (Array.IndexOf(generation.Mechanisms, (ulong)combined) >= 0)
                {
                    using var mechanism = f.Create(combined);
                    return Sign(session, mechanism, generation.Key, toBeSigned.ToArray(), rsa.ModulusLength);
                }

                // A token with raw RSA only: sign DigestInfo ‖ H(data), as ssh-pkcs11.c does.
                using var raw = f.Create(CKM.CKM_RSA_PKCS);
                return Sign(session, raw, generation.Key, RsaDigestInfo.Create(_options.RsaSignatureAlgorithm, toBeSigned.Span), rsa.ModulusLength);
            }

            default:
                throw new HsmException(HsmErrorKind.UnsupportedKey, $"{Description}: {PublicKey.KeyType} cannot sign here");
        }
    }

    /// <summary>Two calls where the session allows (<see cref="OneCallSignSession"/>): a network HSM's round trip saved per signature.</summary>
    private static byte[] Sign(ISession session, IMechanism mechanism, IObjectHandle key, byte[] data, int length) =>
        session is OneCallSignSession twoCalls ? twoCalls.Sign(mechanism, key, data, length) : session.Sign(mechanism, key, data);

    private SshSignature Encode(Pkcs11Generation generation, byte[] raw)
    {
        try
        {
            return PublicKey switch
            {
                Ed25519PublicKey => SshSignatureEncoder.FromEd25519(raw),
                EcdsaPublicKey ec when raw.Length == 2 * ec.Curve.FieldSize => SshSignatureEncoder.FromEcdsaFixed(ec.Curve, raw),
                EcdsaPublicKey ec => SshSignatureEncoder.FromEcdsaDer(ec.Curve, raw),
                RsaPublicKey rsa => SshSignatureEncoder.FromRsaPkcs1(_options.RsaSignatureAlgorithm, raw, rsa.ModulusLength),
                _ => throw new HsmException(HsmErrorKind.UnsupportedKey, $"{Description}: {PublicKey.KeyType} cannot sign here"),
            };
        }
        catch (SshFormatException e)
        {
            generation.MarkBroken();
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"{Description}: the device returned a malformed signature: {e.Message}", e);
        }
    }

    /// <summary>Finds the token, logs in, finds the key and opens the pool: one synchronous attempt.</summary>
    private (Pkcs11Generation Generation, SshPublicKey PublicKey) BuildGeneration()
    {
        var token = Pkcs11Token.Open(_uri, _pin, _options.ModulePath);
        var sessions = new List<ISession>();
        try
        {
            var (key, publicKey) = Pkcs11KeyReader.Find(token.Anchor, _uri);
            var mechanisms = token.Slot.GetMechanismList().Select(m => (ulong)m).ToArray();
            var (waits, callTime) = Pkcs11PoolSizing.Probe(token.Anchor);
            var size = Pkcs11PoolSizing.Size(_options.PoolSize, waits, token.MaxSessionCount, Environment.ProcessorCount);
            if (waits && !ModuleWaits)
            {
                // A signature on this module blocks its thread for a network round trip: without
                // as many pool threads as sessions, the thread pool would add them one by one
                // (about two a second) and the sessions would sit idle meanwhile.
                ThreadPool.GetMinThreads(out var workers, out var completion);
                ThreadPool.SetMinThreads(workers + size, completion);
            }

            ModuleWaits = waits;
            ModuleCallTime = callTime;
            for (var i = 0; i < size; i++)
            {
                sessions.Add(token.Slot.OpenSession(SessionType.ReadOnly));
            }

            return (new Pkcs11Generation(token, key, sessions, mechanisms), publicKey);
        }
        catch (Pkcs11Exception e)
        {
            sessions.ForEach(Pkcs11Generation.Close);
            token.Dispose();
            throw Pkcs11Errors.ToHsmException(e, $"{Description}: opening sessions");
        }
        catch
        {
            sessions.ForEach(Pkcs11Generation.Close);
            token.Dispose();
            throw;
        }
    }

    private void LogReady(Pkcs11Generation generation)
    {
        Pkcs11Log.Ready(_logger, Description, Fingerprint, SignatureAlgorithm, generation.Size);
        Pkcs11Log.ModuleKind(_logger, Description, ModuleWaits ? "waits for its device" : "computes on the calling thread", ModuleCallTime.TotalMicroseconds, generation.Size);
    }

    private void CheckExpected()
    {
        try
        {
            ExpectedKey.Check(Description, PublicKey, _options.ExpectedPublicKey);
        }
        catch (HsmException)
        {
            _current?.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _module.RecoveryLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _module.Unregister(this);
            if (_current is not null)
            {
                await _current.DrainAsync(_options.SignTimeout).ConfigureAwait(false);
            }

            _current = null;
            CryptographicOperations.ZeroMemory(_pin);
        }
        finally
        {
            _module.RecoveryLock.Release();
        }
    }
}
