namespace SshHsmCa.CaDaemon.Issuing;

/// <summary>A one-time credential in use for a call (a bootstrap token): completed once a certificate was issued with it, given back when disposed otherwise.</summary>
internal interface ICredentialUse : IAsyncDisposable
{
    /// <summary>A certificate was issued with the credential: it stays used.</summary>
    void Complete();
}
