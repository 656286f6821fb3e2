using System.Text;
using Google.Protobuf;
using Grpc.Core;
using SshHsmCa.CaDaemon.Auth;
using SshHsmCa.CaDaemon.Grpc;
using SshHsmCa.CaDaemon.Hosting;
using SshHsmCa.Hsm.Piv;
using SshHsmCa.Policy;
using SshHsmCa.Protos.V1;
using SshHsmCa.Ssh;
using SshHsmCa.Ssh.Certificates;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Fuzz;

/// <summary>One entry per parser that takes outside bytes, each allowing only its documented failure.</summary>
internal static class Targets
{
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["public-key"] = PublicKey,
        ["certificate"] = Certificate,
        ["sshsig"] = SshSignature,
        ["piv-response"] = PivResponse,
        ["policy"] = PolicyJson,
        ["config"] = ConfigJson,
        ["tokens"] = Tokens,
        ["id-token"] = IdToken,
        ["request"] = Request,
        ["krl"] = Krl,
        ["trust-set"] = TrustSetDocument,
        ["trust-state"] = TrustStateTarget.Run,
        ["sk-attestation"] = SkAttestationTarget.Run,
        ["agent-constraint"] = AgentConstraint,
        ["checkpoint"] = CheckpointNote,
    };

    /// <summary>A signed checkpoint (what audit verify will read): the note, its text as a checkpoint, and what parses reads back.</summary>
    private static void CheckpointNote(byte[] input)
    {
        var text = Text(input);
        Expect<SshFormatException>(() => Ssh.Transparency.SignedNote.Parse(text));
        Expect<SshFormatException>(() => Ssh.Transparency.SignedNote.ParseVerifierKey(text));
        Expect<SshFormatException>(() =>
        {
            // A leaf of the issuance log (audit prove and VerifyLog read them): it reads back to the same bytes.
            var entry = Ssh.Transparency.LogEntry.Parse(input);
            if (!entry.Encode().AsSpan().SequenceEqual(input))
            {
                throw new InvalidOperationException("a log entry does not read back to its bytes");
            }
        });
        Expect<SshFormatException>(() =>
        {
            var checkpoint = Ssh.Transparency.Checkpoint.Parse(text);
            // The text read back: the same origin, size and root; extension lines (which the text
            // keeps after the root) are not part of the three-line form ToText writes.
            var again = Ssh.Transparency.Checkpoint.Parse(checkpoint.ToText());
            if (again.Origin != checkpoint.Origin || again.Size != checkpoint.Size || !again.Root.AsSpan().SequenceEqual(checkpoint.Root)
                || !text.StartsWith(checkpoint.ToText(), StringComparison.Ordinal))
            {
                throw new InvalidOperationException("a checkpoint does not read back");
            }
        });
    }

    /// <summary>An agent destination constraint (what ssh-hsm-ca agent reads back), parsed and re-encoded.</summary>
    private static void AgentConstraint(byte[] input)
    {
        Expect<SshFormatException>(() =>
        {
            var hops = Ssh.Agent.DestinationConstraint.Parse(input);
            var caKeys = hops.SelectMany(h => h.ToKeys).Where(k => k.IsCa).Select(k => k.Key).Distinct().ToArray();
            if (hops.Count > 0 && caKeys.Length == 1 && hops.All(h => h.ToUser.Length == 0 && h.ToKeys.All(k => k.IsCa) && h.FromKeys.All(k => k.IsCa && k.Key.Equals(caKeys[0]))))
            {
                var again = Ssh.Agent.DestinationConstraint.Parse(Ssh.Agent.DestinationConstraint.Encode([.. hops.Select(h => (h.FromHost, h.ToHost))], caKeys));
                if (!again.Select(h => (h.FromHost, h.ToHost)).SequenceEqual(hops.Select(h => (h.FromHost, h.ToHost))))
                {
                    throw new InvalidOperationException("a destination constraint does not survive encoding");
                }
            }
        });
    }

    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    /// <summary>An authorized_keys-style line, and the same bytes as a key blob.</summary>
    private static void PublicKey(byte[] input)
    {
        Expect<SshFormatException>(() => SshPublicKey.ParseLine(Text(input)).GetSha256Fingerprint());
        Expect<SshFormatException>(() => SshPublicKey.ParseBlob(input).ToOpenSshLine());
    }

    /// <summary>A trust set (what host renew and login install), re-encoded.</summary>
    private static void TrustSetDocument(byte[] input)
    {
        Expect<SshFormatException>(() =>
        {
            var set = Ssh.Trust.TrustSet.Parse(input);
            if (!set.Encode().AsSpan().SequenceEqual(input))
            {
                throw new InvalidOperationException("a parsed trust set does not encode to its own bytes");
            }
        });
    }

    /// <summary>A KRL (what krl --out, inspect --krl and the CLI read), re-encoded and queried.</summary>
    private static void Krl(byte[] input)
    {
        Expect<SshFormatException>(() =>
        {
            var krl = Ssh.Krl.SshKrl.Parse(input);
            var again = Ssh.Krl.SshKrl.Parse(krl.Encode());
            if (again.Version != krl.Version || again.Certificates.Count != krl.Certificates.Count)
            {
                throw new InvalidOperationException("a parsed KRL does not survive its own encoding");
            }

            foreach (var section in krl.Certificates)
            {
                _ = section.RevokesSerial(1) || section.RevokesKeyId("x"u8);
            }
        });
    }

    /// <summary>A certificate line (what inspect and renewal read), then its signature check.</summary>
    private static void Certificate(byte[] input)
    {
        Expect<SshFormatException>(() =>
        {
            var certificate = SshCertificate.ParseLine(Text(input));
            _ = certificate.VerifySignature();
            _ = SshCertificateListing.Format(certificate, "fuzz");
        });
    }

    /// <summary>An armored SSHSIG (the renewal proof), verified against its own key.</summary>
    private static void SshSignature(byte[] input)
    {
        Expect<SshFormatException>(() =>
        {
            var signature = SshSig.ParseArmored(Text(input));
            _ = signature.Verifies(signature.PublicKey, "renew@ssh-hsm-ca", input);
        });
    }

    /// <summary>What a card answers: BER-TLV, and the public key of a generated or read slot for every algorithm.</summary>
    private static void PivResponse(byte[] input)
    {
        Expect<FormatException>(() => Tlv.Parse(input));
        foreach (var algorithm in Enum.GetValues<PivAlgorithm>())
        {
            // A malformed answer is a device fault: HsmException (DeviceUnavailable, UnsupportedKey).
            Expect<SshHsmCa.Hsm.HsmException>(() => PivSession.ParsePublicKey(algorithm, input));
        }
    }

    private static void PolicyJson(byte[] input) => Expect<PolicyLoadException>(() => SshPolicy.Load(Text(input)));

    /// <summary>config.json: problems are returned, never thrown.</summary>
    private static void ConfigJson(byte[] input)
    {
        var dir = Directory.CreateTempSubdirectory("sshhsmca-fuzz-");
        try
        {
            var path = Path.Combine(dir.FullName, "config.json");
            File.WriteAllBytes(path, input);
            _ = ConfigurationLoader.Load(path);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Bearer material an unauthenticated caller chooses: bootstrap tokens and renewal challenge ids.</summary>
    private static void Tokens(byte[] input)
    {
        var text = Text(input);
        _ = BootstrapTokenFormat.Parse(text);
        _ = State.Challenges.SerialOf(text);
    }

    /// <summary>An ID token before validation: refused with a reason, never thrown.</summary>
    private static void IdToken(byte[] input) => _ = State.Oidc.ValidateAsync(Text(input), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Request messages as the daemon parses them: protobuf, then step 2 of the pipeline.</summary>
    private static void Request(byte[] input)
    {
        Expect<InvalidProtocolBufferException>(() => Invalid(() => RequestParser.ParseUser(SignUserCertificateRequest.Parser.ParseFrom(input))));
        Expect<InvalidProtocolBufferException>(() => Invalid(() => RequestParser.ParseHost(SignHostCertificateRequest.Parser.ParseFrom(input))));
    }

    private static void Invalid(Action parse)
    {
        try
        {
            parse();
        }
        catch (CaDaemon.Failures.InvalidRequestException e) when (e.Violations.Count > 0 && StatusTable.ToRpcException(StatusTable.Map(e)!).StatusCode == StatusCode.InvalidArgument)
        {
            // A malformed request is a value with its field violations, INVALID_ARGUMENT through the status table.
        }
    }

    private static void Expect<TException>(Action parse)
        where TException : Exception
    {
        try
        {
            parse();
        }
        catch (TException)
        {
        }
    }

    /// <summary>
    /// Objects of the instrumented assemblies, made on first use: inside the fuzzing loop, where
    /// SharpFuzz's coverage map exists (instrumented code run before it faults).
    /// </summary>
    private static class State
    {
        public static RenewalChallenges Challenges => ChallengeState.Value;

        public static OidcTokenValidator Oidc => OidcState.Value;

        private static OidcTokenValidator CreateOidc()
        {
            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var parameters = key.ExportParameters(false);
            var jwks = Path.Combine(Path.GetTempPath(), $"sshhsmca-fuzz-jwks-{Environment.ProcessId}.json");
            File.WriteAllText(jwks, $$"""
                { "keys": [ { "kty": "EC", "crv": "P-256", "kid": "fuzz", "use": "sig", "alg": "ES256",
                  "x": "{{Base64Url(parameters.Q.X!)}}", "y": "{{Base64Url(parameters.Q.Y!)}}" } ] }
                """);
            try
            {
                return new OidcTokenValidator(new OidcOptions { Issuer = "https://issuer.fuzz", ClientId = "ssh-hsm-ca", JwksFile = jwks, Algorithms = ["ES256"] });
            }
            finally
            {
                File.Delete(jwks);
            }
        }

        private static class ChallengeState
        {
            public static readonly RenewalChallenges Value = new(TimeProvider.System, System.Security.Cryptography.RandomNumberGenerator.Create());
        }

        private static class OidcState
        {
            public static readonly OidcTokenValidator Value = CreateOidc();
        }
    }

    private static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
