using BenchmarkDotNet.Attributes;
using SshHsmCa.Ssh.Certificates;

namespace SshHsmCa.Ssh.Benchmarks;

/// <summary>Encoding the to-be-signed bytes and parsing a typical user certificate.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class CertificateBenchmarks
{
    private SshCertificateBuilder _builder = null!;
    private byte[] _blob = null!;
    private byte[] _ecdsaSubjectBlob = null!;

    [GlobalSetup]
    public void Setup()
    {
        var ca = Fixtures.Ed25519Ca();
        _builder = Fixtures.TypicalUser(ca);
        var tbs = _builder.EncodeToBeSigned();
        _blob = SshCertificateBuilder.Assemble(tbs, Fixtures.SignEd25519(tbs)).Blob.ToArray();
        var v1 = "AAAAKGVjZHNhLXNoYTItbmlzdHAyNTYtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgE3VAkrhCVb7Nfvh5S8q2Jzxb85FjS3TqeBImP//1AKIAAAAIbmlzdHAyNTYAAABBBOy8k0n1awHV+BrVnTEr3yibip3sn83F9Lz9ie5dl8oBUQdze+pgJoEDpI4k6Luyq+8YGmxLUdzXLhYDfbEFE6sAAAAAAAAAKgAAAAEAAAARYWxpY2VAZXhhbXBsZS5jb20AAAASAAAABWFsaWNlAAAABWFkbWluAAAAAGd0hYAAAAAAekMrgAAAAFQAAAANZm9yY2UtY29tbWFuZAAAAA8AAAALL3Vzci9iaW4vaWQAAAAOc291cmNlLWFkZHJlc3MAAAAaAAAAFjEwLjAuMC4wLzgsMTkyLjE2OC4xLjEAAACCAAAAFXBlcm1pdC1YMTEtZm9yd2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAAAAAAFnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAACnBlcm1pdC1wdHkAAAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAAICc5c9P68UIv8E8CcVT7BhyuOBTnME595C9s3ktZGCg1AAAAUwAAAAtzc2gtZWQyNTUxOQAAAEA9GcgR9y2IbTZsTIwBqLU5nTRS8reP/5DGQ6i9N+iOs+g5vES9N87t0gzGVkGaKPO4elixaABH1A48XX64lv4F";
        _ecdsaSubjectBlob = Convert.FromBase64String(v1);
    }

    /// <summary>Encode the to-be-signed bytes of a typical user certificate.</summary>
    [Benchmark]
    public byte[] EncodeToBeSigned() => _builder.EncodeToBeSigned();

    /// <summary>Parse (and fully check) a typical user certificate, Ed25519 subject.</summary>
    [Benchmark]
    public SshCertificate ParseTypicalUser() => SshCertificate.Parse(_blob);

    /// <summary>Parse the v1 vector: ECDSA P-256 subject, so the point-on-curve check is included.</summary>
    [Benchmark]
    public SshCertificate ParseV1EcdsaSubject() => SshCertificate.Parse(_ecdsaSubjectBlob);

    /// <summary>Parse, then read every field (text decoded on first access).</summary>
    [Benchmark]
    public int ParseAndReadAllFields()
    {
        var c = SshCertificate.Parse(_blob);
        return c.KeyId.Length + c.Principals.Count + c.Extensions.Count + c.CriticalOptions.Count;
    }
}
