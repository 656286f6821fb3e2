using SshHsmCa.Policy;

namespace SshHsmCa.CaDaemon.Auth;

/// <summary>
/// What a call presents, taken from the transport by the API layer: the <c>authorization</c>
/// header's value (empty: none), the identity its connection carries (a verified client
/// certificate, the operator socket's peer; null: none) and the peer's address.
/// </summary>
internal sealed record Credentials(string Authorization, CallerIdentity? Connection, string Peer);
