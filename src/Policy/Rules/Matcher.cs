namespace SshHsmCa.Policy.Rules;

/// <summary>One alternative of a role's <c>match</c>: all its conditions must hold.</summary>
internal abstract class Matcher
{
    /// <summary>Null when it matches; otherwise why not (for explanations).</summary>
    public abstract string? Mismatch(CallerIdentity caller);

    public sealed class Oidc(string issuer, string[]? emailDomains, string[]? groups, string groupsClaim, (string Claim, string[] Values)[] claims) : Matcher
    {
        public override string? Mismatch(CallerIdentity caller)
        {
            if (caller.Method != AuthMethod.Oidc)
            {
                return "not an OIDC caller";
            }

            if (!string.Equals(caller.Issuer, issuer, StringComparison.Ordinal))
            {
                return $"issuer is not {issuer}";
            }

            if (emailDomains is not null)
            {
                var email = caller.Claim("email");
                var verified = caller.Claim("email_verified");
                if (email.Count != 1 || (verified.Count > 0 && !string.Equals(verified[0], "true", StringComparison.OrdinalIgnoreCase)))
                {
                    return "no single verified email claim";
                }

                var at = email[0].LastIndexOf('@');
                if (at <= 0 || !emailDomains.Contains(email[0][(at + 1)..], StringComparer.OrdinalIgnoreCase))
                {
                    return $"email domain is not one of {string.Join(", ", emailDomains)}";
                }
            }

            if (groups is not null && !caller.Claim(groupsClaim).Any(g => groups.Contains(g, StringComparer.Ordinal)))
            {
                return $"not in any of the groups {string.Join(", ", groups)}";
            }

            foreach (var (claim, values) in claims)
            {
                if (!caller.Claim(claim).Any(v => values.Contains(v, StringComparer.Ordinal)))
                {
                    return $"claim {claim} has none of {string.Join(", ", values)}";
                }
            }

            return null;
        }
    }

    public sealed class Mtls(string[]? subjects, string[]? sans) : Matcher
    {
        public override string? Mismatch(CallerIdentity caller)
        {
            if (caller.Method != AuthMethod.MutualTls)
            {
                return "not an mTLS caller";
            }

            if (subjects is not null && (caller.TlsSubject is null || !subjects.Any(p => Glob.Matches(p, caller.TlsSubject))))
            {
                return "client certificate subject matches no pattern";
            }

            if (sans is not null && !caller.TlsSubjectAlternativeNames.Any(san => sans.Any(p => Glob.Matches(p, san))))
            {
                return "no subject alternative name matches a pattern";
            }

            return null;
        }
    }

    public sealed class Unix(uint[]? uids, uint[]? gids, string[]? users, string[]? groups) : Matcher
    {
        public override string? Mismatch(CallerIdentity caller)
        {
            if (caller.Method != AuthMethod.UnixSocket)
            {
                return "not a Unix socket caller";
            }

            if (uids is not null && (caller.Uid is not { } uid || !uids.Contains(uid)))
            {
                return "uid not listed";
            }

            if (gids is not null && !caller.Gids.Any(gids.Contains))
            {
                return "no listed gid";
            }

            if (users is not null && (caller.UserName is null || !users.Contains(caller.UserName, StringComparer.Ordinal)))
            {
                return "user not listed";
            }

            if (groups is not null && !caller.GroupNames.Any(g => groups.Contains(g, StringComparer.Ordinal)))
            {
                return "in no listed group";
            }

            return null;
        }
    }

    public sealed class Method(AuthMethod method) : Matcher
    {
        public override string? Mismatch(CallerIdentity caller) => caller.Method == method ? null : $"not a {method} caller";
    }
}
