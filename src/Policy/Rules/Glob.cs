namespace SshHsmCa.Policy.Rules;

/// <summary>Case-sensitive patterns where <c>*</c> matches any run of characters (mTLS subjects and SANs).</summary>
internal static class Glob
{
    public static bool Matches(string pattern, string value)
    {
        // Iterative matcher with backtracking to the last star: linear in practice, no regex.
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (p < pattern.Length && pattern[p] == value[v])
            {
                p++;
                v++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
