using System.Text;
using SshHsmCa.Ssh.Trust;

namespace SshHsmCa.CaDaemon.Audit;

/// <summary>One trust-set version: its key lines (the document without header and version) and when it was published.</summary>
internal sealed record TrustSetRecord(ulong Version, string Body, ulong CreatedAt)
{
    /// <summary>The whole document's bytes (what is signed and served).</summary>
    public byte[] Document() => Encoding.ASCII.GetBytes(TrustSet.With(Version, Body));

    /// <summary>The document parsed (strictly, as a client would).</summary>
    public TrustSet Parse() => TrustSet.Parse(Document());
}
