using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Ssh.Tests.Support;

/// <summary>Hand-assembles certificate blobs with fields the builder would refuse, to test the parser.</summary>
internal static class CertificateSurgery
{
    public static SshCertificate WithSections(byte[] critical, byte[] extensions) => SshCertificate.Parse(Build(critical, extensions, ["alice"]));

    public static byte[] Build(byte[] critical, byte[] extensions, IEnumerable<string> principals)
    {
        var v1 = SshCertificate.ParseLine(Vectors.FirstLine("v1/user_ecdsa256-cert.pub"));
        var w = new SshWriter();
        w.WriteString(v1.CertificateType);
        w.WriteString(v1.Nonce.Span);
        v1.PublicKey.WriteKeyFields(w);
        w.WriteUInt64(1);
        w.WriteUInt32(1);
        w.WriteString("id");
        using (w.PushString())
        {
            foreach (var p in principals)
            {
                w.WriteString(p);
            }
        }

        w.WriteUInt64(0);
        w.WriteUInt64(ulong.MaxValue);
        w.WriteString(critical);
        w.WriteString(extensions);
        w.WriteString(ReadOnlySpan<byte>.Empty);
        w.WriteString(v1.SignatureKey.Blob.Span);
        w.WriteString(v1.Signature.Blob.Span);
        return w.ToArray();
    }
}
