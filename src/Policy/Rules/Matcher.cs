namespace SshHsmCa.Policy.Rules;

/// <summary>One alternative of a role's <c>match</c>: all its conditions must hold.</summary>
internal abstract class Matcher
{
    /// <summary>Returned instead of a reason when no detail is wanted (the hot path allocates nothing).</summary>
    protected const string NoMatch = "no match";

    /// <summary>Null when it matches; otherwise why not, in words only when <paramref name="detail"/> is set.</summary>
    public abstract string? Mismatch(CallerIdentity caller, bool detail);

    public sealed class Oidc(string issuer, string[]? emailDomains, string[]? groups, string groupsClaim, (string Claim, string[] Values)[] claims) : Matcher
    {
        private readonly HashSet<string>? _groups = groups is null ? null : new HashSet<string>(groups, StringComparer.Ordinal);

        public override string? Mismatch(CallerIdentity caller, bool detail)
        {
            if (caller.Method != AuthMethod.Oidc)
            {
                return detail ? "not an OIDC caller" : NoMatch;
            }

            if (!string.Equals(caller.Issuer, issuer, StringComparison.Ordinal))
            {
                return detail ? $"issuer is not {issuer}" : NoMatch;
            }

            if (emailDomains is not null)
            {
                var email = caller.Claim("email");
                var verified = caller.Claim("email_verified");
                if (email.Count != 1 || (verified.Count > 0 && !string.Equals(verified[0], "true", StringComparison.OrdinalIgnoreCase)))
                {
                    return detail ? "no single verified email claim" : NoMatch;
                }

                var at = email[0].LastIndexOf('@');
                if (at <= 0 || !emailDomains.Contains(email[0][(at + 1)..], StringComparer.OrdinalIgnoreCase))
                {
                    return detail ? $"email domain is not one of {string.Join(", ", emailDomains)}" : NoMatch;
                }
            }

            if (_groups is not null && !InAnyGroup(caller.Claim(groupsClaim)))
            {
                return detail ? $"not in any of the groups {string.Join(", ", groups!)}" : NoMatch;
            }

            foreach (var (claim, values) in claims)
            {
                if (!caller.Claim(claim).Any(v => values.Contains(v, StringComparer.Ordinal)))
                {
                    return detail ? $"claim {claim} has none of {string.Join(", ", values)}" : NoMatch;
                }
            }

            return null;
        }

        private bool InAnyGroup(IReadOnlyList<string> callerGroups)
        {
            for (var i = 0; i < callerGroups.Count; i++)
            {
                if (_groups!.Contains(callerGroups[i]))
                {
                    return true;
                }
            }

            return false;
        }
    }

    public sealed class Mtls(string[]? subjects, string[]? sans) : Matcher
    {
        public override string? Mismatch(CallerIdentity caller, bool detail)
        {
            if (caller.Method != AuthMethod.MutualTls)
            {
                return detail ? "not an mTLS caller" : NoMatch;
            }

            if (subjects is not null && (caller.TlsSubject is null || !subjects.Any(p => Glob.Matches(p, caller.TlsSubject))))
            {
                return detail ? "client certificate subject matches no pattern" : NoMatch;
            }

            if (sans is not null && !caller.TlsSubjectAlternativeNames.Any(san => sans.Any(p => Glob.Matches(p, san))))
            {
                return detail ? "no subject alternative name matches a pattern" : NoMatch;
            }

            return null;
        }
    }

    public sealed class Unix(uint[]? uids, uint[]? gids, string[]? users, string[]? groups) : Matcher
    {
        public override string? Mismatch(CallerIdentity caller, bool detail)
        {
            if (caller.Method != AuthMethod.UnixSocket)
            {
                return detail ? "not a Unix socket caller" : NoMatch;
            }

            if (uids is not null && (caller.Uid is not { } uid || !uids.Contains(uid)))
            {
                return detail ? "uid not listed" : NoMatch;
            }

            if (gids is not null && !caller.Gids.Any(gids.Contains))
            {
                return detail ? "no listed gid" : NoMatch;
            }

            if (users is not null && (caller.UserName is null || !users.Contains(caller.UserName, StringComparer.Ordinal)))
            {
                return detail ? "user not listed" : NoMatch;
            }

            if (groups is not null && !caller.GroupNames.Any(g => groups.Contains(g, StringComparer.Ordinal)))
            {
                return detail ? "in no listed group" : NoMatch;
            }

            return null;
        }
    }

    public sealed class Method(AuthMethod method) : Matcher
    {
        public override string? Mismatch(CallerIdentity caller, bool detail) => caller.Method == method ? null : detail ? $"not a {AuthMethods.Name(method)} caller" : NoMatch;
    }
}
