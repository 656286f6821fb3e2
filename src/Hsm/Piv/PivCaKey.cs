using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Hsm.Piv;

/// <summary>
/// A CA key in a YubiKey PIV slot, spoken to over PC/SC (NIST SP 800-73-4 Part 2). Every card
/// operation is serialised and runs inside a PC/SC transaction; each signature is verified in
/// software before it is returned. When the slot needs a touch and the card has not answered
/// after <see cref="PivCaKeyOptions.TouchPromptDelay"/>, the key announces it
/// (its log line, and to the observer of the caller's flow in <see cref="TouchPrompts"/>, the one
/// route for touch events); a deadline turns a missing touch
/// into <see cref="HsmErrorKind.TouchTimeout"/>. A pulled card fails the signature in flight with
/// <see cref="HsmErrorKind.DeviceUnavailable"/>; the next signature reconnects and checks that the
/// card carries the same key.
/// </summary>
public sealed class PivCaKey : IAttestedCaKey
{
    private readonly PivCaKeyOptions _options;
    private readonly byte[] _pin;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private PcscCard? _card;
    private volatile bool _broken;
    private volatile bool _pinRefused;
    private bool _disposed;

    private PivCaKey(PivCaKeyOptions options, byte[] pin, ILogger logger)
    {
        _options = options;
        _pin = pin;
        _logger = logger;
        Description = "piv";
        PublicKey = null!;
        Metadata = null!;
    }

    /// <inheritdoc />
    public SshPublicKey PublicKey { get; private set; }

    /// <inheritdoc />
    public string Description { get; private set; }

    /// <inheritdoc />
    public bool IsAvailable => !_broken && !_disposed;

    /// <summary>The slot's metadata at start (algorithm, PIN and touch policy, origin).</summary>
    public PivSlotMetadata Metadata { get; private set; }

    /// <summary>The YubiKey's serial number.</summary>
    public uint Serial { get; private set; }

    /// <summary>The firmware version.</summary>
    public Version? Firmware { get; private set; }

    /// <summary>The slot's attestation certificate (DER), when the key was generated on the device.</summary>
    public byte[]? Attestation { get; private set; }

    /// <summary>The device's F9 attestation certificate (DER), which signs <see cref="Attestation"/>.</summary>
    public byte[]? AttestationIntermediate { get; private set; }

    /// <summary>Times the card was reconnected after it went away.</summary>
    public int Reconnects { get; private set; }

    /// <summary>
    /// Finds the card, reads the slot, checks the key against the expected one and its origin,
    /// and verifies the PIN once so that a wrong PIN stops the daemon before READY.
    /// </summary>
    public static PivCaKey Open(PivCaKeyOptions options, ReadOnlySpan<byte> pin, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = new PivCaKey(options, pin.ToArray(), logger ?? NullLogger.Instance);
        try
        {
            key.Connect(first: true);
        }
        catch
        {
            key._card?.Dispose();
            throw;
        }

        return key;
    }

    private void Connect(bool first)
    {
        var card = PivCardFinder.Find(_options);
        try
        {
            var session = new PivSession(card);
            using (card.BeginTransaction())
            {
                session.Select();
                var firmware = session.GetVersion();
                var serial = firmware.Major >= 5 ? session.GetSerial() : 0;
                var metadata = session.GetMetadata(_options.Slot);
                var description = $"piv serial={serial} slot={_options.Slot:x2} ({card.Reader})";
                if (first)
                {
                    Description = description;
                    ExpectedKey.Check(description, metadata.PublicKey, _options.ExpectedPublicKey);
                    if (_options.RequireGeneratedOnDevice)
                    {
                        if (metadata.Origin != PivKeyOrigin.Generated)
                        {
                            throw new HsmException(HsmErrorKind.KeyMismatch, $"{description}: the key was {metadata.Origin.ToString().ToLowerInvariant()}, not generated on the device (requireGeneratedOnDevice)");
                        }

                        Attestation = session.Attest(_options.Slot)
                            ?? throw new HsmException(HsmErrorKind.KeyMismatch, $"{description}: the device gives no attestation for the slot");
                        AttestationIntermediate = session.GetCertificate(PivSession.CertificateObject(0xF9));
                    }

                    PublicKey = metadata.PublicKey;
                    Metadata = metadata;
                    Serial = serial;
                    Firmware = firmware;
                    if (metadata.PinPolicy != PivPinPolicy.Never)
                    {
                        session.VerifyPin(_pin);
                    }
                }
                else if (!metadata.PublicKey.Equals(PublicKey))
                {
                    throw new HsmException(HsmErrorKind.KeyMismatch, $"{description}: the card that came back holds another key ({metadata.PublicKey.GetSha256Fingerprint()}, expected {PublicKey.GetSha256Fingerprint()})");
                }
            }

            _card = card;
            _broken = false;
        }
        catch
        {
            card.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<SshSignature> SignAsync(ReadOnlyMemory<byte> toBeSigned, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var started = Stopwatch.GetTimestamp();
        var observer = TouchPrompts.Capture();
        if (!await _gate.WaitAsync(_options.SignTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw new HsmException(HsmErrorKind.Timeout, $"{Description}: the card stayed busy for {_options.SignTimeout.TotalSeconds:0} s");
        }

        Task<byte[]> work;
        try
        {
            // The card call blocks its thread until the card answers (after a touch, perhaps): it
            // runs on its own thread, and the gate is released only when it returns, so a call that
            // outlives its deadline still keeps every other call off the card.
            work = Task.Factory.StartNew(() => SignOnCard(toBeSigned), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch
        {
            _gate.Release();
            throw;
        }

        _ = work.ContinueWith(_ => _gate.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var touch = Metadata.TouchPolicy is PivTouchPolicy.Always or PivTouchPolicy.Cached;
        Task prompted = Task.CompletedTask;
        if (touch)
        {
            // The prompt timer runs on a thread of its own: a busy thread pool must not make a
            // waiting touch go unannounced.
            var delay = _options.TouchPromptDelay - Stopwatch.GetElapsedTime(started);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            prompted = done.Task;
            var timer = new Thread(() =>
            {
                try
                {
                    if (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(delay > TimeSpan.Zero ? delay : TimeSpan.Zero))
                    {
                        var message = $"touch the YubiKey (serial {Serial}, slot {_options.Slot:x2})";
                        PivLog.TouchRequired(_logger, Description);
                        observer?.Invoke(message);
                    }
                }
                finally
                {
                    done.SetResult();
                }
            })
            { IsBackground = true, Name = "piv-touch-prompt" };
            timer.Start();
        }

        var remaining = _options.SignTimeout - Stopwatch.GetElapsedTime(started);
        if (await Task.WhenAny(work, Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken)).ConfigureAwait(false) != work)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw touch
                ? new HsmException(HsmErrorKind.TouchTimeout, $"{Description}: no touch within {_options.SignTimeout.TotalSeconds:0.#} s")
                : new HsmException(HsmErrorKind.Timeout, $"{Description}: no signature within {_options.SignTimeout.TotalSeconds:0.#} s");
        }

        // A prompt decided just before the card answered is delivered before the result.
        await prompted.ConfigureAwait(false);
        var raw = await work.ConfigureAwait(false);
        var signature = Encode(raw);
        var verdict = SshSignatureVerifier.Verify(PublicKey, toBeSigned.Span, signature);
        if (verdict != SignatureVerification.Valid)
        {
            PivLog.BadSignature(_logger, Description, verdict);
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"{Description}: the card returned a signature that does not verify ({verdict}); it was not released");
        }

        return signature;
    }

    private byte[] SignOnCard(ReadOnlyMemory<byte> toBeSigned)
    {
        if (_pinRefused)
        {
            throw new HsmException(HsmErrorKind.PinIncorrect, $"{Description}: the PIN was refused earlier; not trying it again (that would block the card): fix the PIN and restart");
        }

        if (_card is null || _broken)
        {
            Reconnect();
        }

        var card = _card!;
        try
        {
            var session = new PivSession(card);
            using (card.BeginTransaction())
            {
                // PIV stays selected between our transactions unless another PC/SC client selected
                // something else: then the first command says so, and one SELECT and a retry follow.
                // (Policy "always" verifies the PIN anyway, so it selects every time.)
                var input = PivSignatureInput.Create(Description, Metadata.Algorithm, PublicKey, _options.RsaSignatureAlgorithm, toBeSigned.Span);
                var response = Attempt(session, input, select: Metadata.PinPolicy == PivPinPolicy.Always);
                if (PivSession.MaybeNotSelected(response.StatusWord))
                {
                    response = Attempt(session, input, select: true);
                }

                if (response.StatusWord == PivSession.SecurityStatusNotSatisfied)
                {
                    throw Metadata.TouchPolicy is PivTouchPolicy.Always or PivTouchPolicy.Cached
                        ? new HsmException(HsmErrorKind.TouchTimeout, $"{Description}: the card timed out waiting for a touch")
                        : new HsmException(HsmErrorKind.PinIncorrect, $"{Description}: the card wants the PIN again (security status not satisfied)");
                }

                if (!response.IsSuccess)
                {
                    throw new HsmException(HsmErrorKind.DeviceUnavailable, $"{Description}: GENERAL AUTHENTICATE failed with status {response.StatusWord:X4} ({PivSession.Describe(response.StatusWord)})");
                }

                return PivSession.SignatureFrom(response);
            }
        }
        catch (HsmException e) when (e.InnerException is CardGoneException)
        {
            PivLog.CardGone(_logger, Description, e.Message);
            _broken = true;
            _card = null;
            card.Dispose();
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"{Description}: the card went away during the signature ({e.InnerException.Message}); it reconnects when the card is back", e);
        }
    }

    private ResponseApdu Attempt(PivSession session, byte[] input, bool select)
    {
        if (select)
        {
            session.Select();
        }

        if (Metadata.PinPolicy == PivPinPolicy.Always)
        {
            VerifyPin(session);
        }
        else if (Metadata.PinPolicy != PivPinPolicy.Never)
        {
            var query = session.QueryPinVerified();
            if (PivSession.MaybeNotSelected(query.StatusWord))
            {
                return query;
            }

            if (!query.IsSuccess)
            {
                VerifyPin(session);
            }
        }

        return session.Sign(_options.Slot, Metadata.Algorithm, input);
    }

    private void VerifyPin(PivSession session)
    {
        try
        {
            session.VerifyPin(_pin);
        }
        catch (HsmException e) when (e.Kind is HsmErrorKind.PinIncorrect or HsmErrorKind.PinLocked)
        {
            _pinRefused = true;
            throw;
        }
    }


    private void Reconnect()
    {
        _card?.Dispose();
        _card = null;
        _broken = true;
        try
        {
            try
            {
                Connect(first: false);
            }
            catch (HsmException e) when (e.Kind != HsmErrorKind.KeyMismatch)
            {
                // A card just inserted may answer its first command with a reset warning.
                Thread.Sleep(200);
                Connect(first: false);
            }
        }
        catch (HsmException e)
        {
            throw new HsmException(e.Kind == HsmErrorKind.KeyMismatch ? HsmErrorKind.KeyMismatch : HsmErrorKind.DeviceUnavailable, $"{Description}: the card is not back: {e.Message}", e);
        }

        Reconnects++;
        PivLog.Reconnected(_logger, Description);
    }

    private SshSignature Encode(byte[] raw)
    {
        try
        {
            return PublicKey switch
            {
                Ed25519PublicKey => SshSignatureEncoder.FromEd25519(raw),
                EcdsaPublicKey ec => SshSignatureEncoder.FromEcdsaDer(ec.Curve, raw),
                RsaPublicKey rsa => SshSignatureEncoder.FromRsaPkcs1(_options.RsaSignatureAlgorithm, raw, rsa.ModulusLength),
                _ => throw new HsmException(HsmErrorKind.UnsupportedKey, $"{Description}: {PublicKey.KeyType} cannot sign here"),
            };
        }
        catch (SshFormatException e)
        {
            throw new HsmException(HsmErrorKind.DeviceUnavailable, $"{Description}: the card returned a malformed signature: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Waits for a card call in flight (bounded by the card's own touch timeout).
        if (await _gate.WaitAsync(_options.SignTimeout).ConfigureAwait(false))
        {
            _card?.Dispose();
            _card = null;
            _gate.Release();
        }

        CryptographicOperations.ZeroMemory(_pin);
    }
}
