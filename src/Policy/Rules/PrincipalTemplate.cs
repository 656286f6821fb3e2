using System.Text;

namespace SshHsmCa.Policy.Rules;

/// <summary>
/// A principal that is a literal or a template over the caller's identity:
/// <c>{email.local}</c>, <c>{claim:NAME}</c> (one principal per value), <c>{groups}</c> (one per
/// group, from the configured groups claim), <c>{unix.user}</c>, <c>{name}</c>. A value that
/// would produce a principal outside <see cref="IsValid"/> is dropped, never rewritten: rewriting
/// could turn two identities into one login name.
/// </summary>
internal sealed class PrincipalTemplate
{
    private const int MaxPrincipalLength = 64;
    private const int MaxExpansions = 64;
    private readonly string _text;
    private readonly string _groupsClaim;
    private readonly (bool IsPlaceholder, string Text)[] _parts;

    private PrincipalTemplate(string text, string groupsClaim)
    {
        _text = text;
        _groupsClaim = groupsClaim;
        _parts = [.. Parts(text)];
    }

    public bool IsLiteral => !_text.Contains('{', StringComparison.Ordinal);

    public override string ToString() => _text;

    /// <summary>Checks the template's syntax; null or the problem.</summary>
    public static string? Check(string text)
    {
        var open = 0;
        foreach (var part in Parts(text))
        {
            if (part.IsPlaceholder)
            {
                open++;
                if (part.Text is not ("email.local" or "groups" or "unix.user" or "name") && !part.Text.StartsWith("claim:", StringComparison.Ordinal))
                {
                    return $"unknown placeholder {{{part.Text}}}";
                }

                if (part.Text == "claim:")
                {
                    return "{claim:} needs a claim name";
                }
            }
            else if (part.Text.Contains('{', StringComparison.Ordinal) || part.Text.Contains('}', StringComparison.Ordinal))
            {
                return "unbalanced braces";
            }
        }

        if (open > 2)
        {
            return "at most two placeholders per principal";
        }

        return open == 0 && !IsValid(text) ? $"'{text}' is not a valid principal (letters, digits, . _ - @, not starting with -, at most {MaxPrincipalLength})" : null;
    }

    public static PrincipalTemplate Create(string text, string groupsClaim) => new(text, groupsClaim);

    /// <summary>What sshd can match a login name against and what a key id can carry safely.</summary>
    public static bool IsValid(string principal)
    {
        if (principal.Length is 0 or > MaxPrincipalLength || principal[0] == '-')
        {
            return false;
        }

        foreach (var c in principal)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every principal this template gives for the caller (valid ones only).</summary>
    public IEnumerable<string> Expand(CallerIdentity caller)
    {
        if (_parts.Length == 1)
        {
            // Literal (checked at load) or a lone placeholder: no string building.
            return _parts[0].IsPlaceholder ? Values(_parts[0].Text, caller).Where(IsValid) : [_text];
        }

        var results = new List<StringBuilder> { new() };
        foreach (var part in _parts)
        {
            var values = part.IsPlaceholder ? Values(part.Text, caller) : [part.Text];
            var next = new List<StringBuilder>();
            foreach (var prefix in results)
            {
                foreach (var value in values)
                {
                    if (next.Count < MaxExpansions)
                    {
                        next.Add(new StringBuilder(prefix.ToString()).Append(value));
                    }
                }
            }

            results = next;
        }

        return results.Select(b => b.ToString()).Where(IsValid);
    }

    private IReadOnlyList<string> Values(string placeholder, CallerIdentity caller)
    {
        switch (placeholder)
        {
            case "email.local":
                var email = caller.Claim("email");
                return email.Count == 1 && email[0].LastIndexOf('@') > 0 ? [email[0][..email[0].LastIndexOf('@')]] : [];
            case "groups":
                return caller.Method == AuthMethod.UnixSocket ? caller.GroupNames : caller.Claim(_groupsClaim);
            case "unix.user":
                return caller.UserName is { } user && caller.Method == AuthMethod.UnixSocket ? [user] : [];
            case "name":
                return [caller.Name];
            default:
                return caller.Claim(placeholder["claim:".Length..]);
        }
    }

    private static IEnumerable<(bool IsPlaceholder, string Text)> Parts(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf('{', i);
            if (open < 0)
            {
                yield return (false, text[i..]);
                yield break;
            }

            if (open > i)
            {
                yield return (false, text[i..open]);
            }

            var close = text.IndexOf('}', open);
            if (close < 0)
            {
                yield return (false, text[open..]);
                yield break;
            }

            yield return (true, text[(open + 1)..close]);
            i = close + 1;
        }
    }
}
