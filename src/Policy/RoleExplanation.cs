namespace SshHsmCa.Policy;

/// <summary>One role in an explanation.</summary>
/// <param name="Role">The role's name.</param>
/// <param name="Matched">Whether the caller matched the role.</param>
/// <param name="Why">Why it did not match or did not apply, or what it granted.</param>
/// <param name="Applied">Whether the role's grant counted for this request (matched, right certificate type, key accepted).</param>
public sealed record RoleExplanation(string Role, bool Matched, bool Applied, string Why);
