using System.Numerics;
using System.Security.Cryptography;
using SshHsmCa.Ssh.Keys;
using SshHsmCa.Ssh.Signatures;

namespace SshHsmCa.Ssh.Tests.Support;

/// <summary>
/// A software CA key for tests: the library never signs, so tests sign the to-be-signed bytes
/// here and hand the result back through the same encoders the HSM backends use.
/// </summary>
internal abstract class TestCaKey : IDisposable
{
    public abstract SshPublicKey PublicKey { get; }

    public abstract string Name { get; }

    public abstract SshSignature Sign(ReadOnlySpan<byte> data);

    public virtual void Dispose()
    {
    }

    public override string ToString() => Name;

    public static TestCaKey Create(string name) => name switch
    {
        "ed25519" => Ed25519TestKey.Generate(),
        "p256" => new EcdsaTestKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
        "p384" => new EcdsaTestKey(ECDsa.Create(ECCurve.NamedCurves.nistP384)),
        "p521" => new EcdsaTestKey(ECDsa.Create(ECCurve.NamedCurves.nistP521)),
        "rsa3072-sha512" => new RsaTestKey(RSA.Create(3072), SshSignatureAlgorithms.RsaSha512),
        "rsa2048-sha256" => new RsaTestKey(RSA.Create(2048), SshSignatureAlgorithms.RsaSha256),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    /// <summary>Loads an unencrypted openssh-key-v1 private key file (the vectors' CA keys).</summary>
    public static TestCaKey LoadOpenSsh(string path, string rsaAlgorithm = SshSignatureAlgorithms.RsaSha512)
    {
        var text = File.ReadAllText(path);
        var base64 = string.Concat(text.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).Select(l => l.Trim()));
        var bytes = Convert.FromBase64String(base64);
        var magic = "openssh-key-v1\0"u8;
        Assert.True(bytes.AsSpan().StartsWith(magic), "not an openssh-key-v1 file");
        var reader = new SshReader(bytes.AsSpan(magic.Length));
        Assert.Equal("none", reader.ReadText("cipher"));
        reader.ReadString("kdf");
        reader.ReadString("kdf options");
        Assert.Equal(1u, reader.ReadUInt32("count"));
        reader.ReadString("public key");
        var priv = new SshReader(reader.ReadString("private section"));
        Assert.Equal(priv.ReadUInt32("check1"), priv.ReadUInt32("check2"));
        var type = priv.ReadText("type");
        switch (type)
        {
            case "ssh-ed25519":
                priv.ReadString("pk");
                return new Ed25519TestKey(priv.ReadString("sk")[..32].ToArray());
            case "ssh-rsa":
            {
                var n = priv.ReadPositiveMpint("n").ToArray();
                var e = priv.ReadPositiveMpint("e").ToArray();
                var d = priv.ReadPositiveMpint("d").ToArray();
                var iqmp = priv.ReadPositiveMpint("iqmp").ToArray();
                var p = priv.ReadPositiveMpint("p").ToArray();
                var q = priv.ReadPositiveMpint("q").ToArray();
                var half = (n.Length + 1) / 2;
                var dBig = new BigInteger(d, isUnsigned: true, isBigEndian: true);
                var pBig = new BigInteger(p, isUnsigned: true, isBigEndian: true);
                var qBig = new BigInteger(q, isUnsigned: true, isBigEndian: true);
                var parameters = new RSAParameters
                {
                    Modulus = n,
                    Exponent = e,
                    D = Pad(d, n.Length),
                    P = Pad(p, half),
                    Q = Pad(q, half),
                    DP = Pad((dBig % (pBig - 1)).ToByteArray(isUnsigned: true, isBigEndian: true), half),
                    DQ = Pad((dBig % (qBig - 1)).ToByteArray(isUnsigned: true, isBigEndian: true), half),
                    InverseQ = Pad(iqmp, half),
                };
                return new RsaTestKey(RSA.Create(parameters), rsaAlgorithm);
            }

            default:
                throw new NotSupportedException($"test key loader: {type}");
        }

        static byte[] Pad(byte[] value, int length)
        {
            if (value.Length == length)
            {
                return value;
            }

            var padded = new byte[length];
            value.CopyTo(padded.AsSpan(length - value.Length));
            return padded;
        }
    }

    /// <summary>Writes the public key as a .pub file for ssh-keygen.</summary>
    public string WritePub(TempDir dir, string file) => dir.Write(file, PublicKey.ToOpenSshLine(Name) + "\n");

    internal sealed class Ed25519TestKey : TestCaKey
    {
        private readonly byte[] _seed;

        public Ed25519TestKey(byte[] seed)
        {
            _seed = seed;
            var pk = new byte[32];
            Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(seed, 0, pk, 0);
            PublicKey = Ed25519PublicKey.Create(pk);
        }

        public override SshPublicKey PublicKey { get; }

        public override string Name => "ed25519";

        public static Ed25519TestKey Generate() => new(RandomNumberGenerator.GetBytes(32));

        public override SshSignature Sign(ReadOnlySpan<byte> data)
        {
            var sig = new byte[64];
            var message = data.ToArray();
            Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(_seed, 0, message, 0, message.Length, sig, 0);
            return SshSignatureEncoder.FromEd25519(sig);
        }
    }

    internal sealed class EcdsaTestKey : TestCaKey
    {
        private readonly ECDsa _key;
        private readonly EcdsaPublicKey _public;

        public EcdsaTestKey(ECDsa key)
        {
            _key = key;
            _public = EcdsaPublicKey.FromParameters(key.ExportParameters(false));
        }

        public override SshPublicKey PublicKey => _public;

        public override string Name => _public.Curve.Identifier;

        public override SshSignature Sign(ReadOnlySpan<byte> data) =>
            SshSignatureEncoder.FromEcdsaFixed(_public.Curve, _key.SignData(data, _public.Curve.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        public byte[] SignDer(ReadOnlySpan<byte> data) =>
            _key.SignData(data.ToArray(), _public.Curve.Hash, DSASignatureFormat.Rfc3279DerSequence);

        public override void Dispose()
        {
            _key.Dispose();
            base.Dispose();
        }
    }

    internal sealed class RsaTestKey : TestCaKey
    {
        private readonly RSA _key;
        private readonly string _algorithm;
        private readonly RsaPublicKey _public;

        public RsaTestKey(RSA key, string algorithm)
        {
            _key = key;
            _algorithm = algorithm;
            _public = RsaPublicKey.FromParameters(key.ExportParameters(false));
        }

        public override SshPublicKey PublicKey => _public;

        public override string Name => $"rsa{_public.SizeInBits}-{_algorithm}";

        public RSA Key => _key;

        public override SshSignature Sign(ReadOnlySpan<byte> data) =>
            SshSignatureEncoder.FromRsaPkcs1(_algorithm, _key.SignData(data, RsaDigestInfo.HashFor(_algorithm), RSASignaturePadding.Pkcs1), _public.ModulusLength);

        /// <summary>A signature under another hash (for the SHA-1 refusal test).</summary>
        public SshSignature SignRaw(string algorithm, ReadOnlySpan<byte> data) =>
            SshSignature.Create(algorithm, _key.SignData(data, RsaDigestInfo.HashFor(algorithm), RSASignaturePadding.Pkcs1));

        public override void Dispose()
        {
            _key.Dispose();
            base.Dispose();
        }
    }
}
