namespace SshHsmCa.Policy.Rules;

/// <summary>Security-key subject keys: allowed, required or forbidden.</summary>
internal enum SecurityKeyPolicy
{
    Allowed,
    Required,
    Forbidden,
}
