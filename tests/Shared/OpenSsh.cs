using System.Globalization;
using System.Text.RegularExpressions;

namespace SshHsmCa.Tests.Shared;

/// <summary>
/// The OpenSSH programs a test judges with: Debian's on this machine (/usr/bin, /usr/sbin), or
/// another release's when <c>SSHHSMCA_OPENSSH_BIN</c> names the wrappers' folder that
/// scripts/openssh-releases.sh made for it (scripts/test.sh runs the judging tests once per
/// release that way, with that folder first on PATH, so the CLI's own ssh-keygen is the release's
/// too). A folder that is named but lacks a program fails the test: nothing falls back silently.
/// </summary>
internal static partial class OpenSsh
{
    public const string BinVariable = "SSHHSMCA_OPENSSH_BIN";
    public const string ReleaseVariable = "SSHHSMCA_OPENSSH_RELEASE";
    public const string VersionVariable = "SSHHSMCA_OPENSSH_VERSION";

    /// <summary>
    /// The trait of the test classes that judge with OpenSSH: scripts/test.sh runs them again with
    /// each release's programs (<c>dotnet test --filter OpenSsh=judge</c>).
    /// </summary>
    public const string Trait = "OpenSsh";

    public const string Judges = "judge";

    private static readonly Lazy<Version> Parsed = new(ReadVersion);

    /// <summary>The wrappers' folder, or null for this machine's own programs.</summary>
    public static string? Bin => Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } bin ? bin : null;

    /// <summary>The release under test, for messages: "trixie", "sid", or this machine's.</summary>
    public static string Release => Environment.GetEnvironmentVariable(ReleaseVariable) is { Length: > 0 } release ? release : "this machine";

    public static string Ssh => Tool("/usr/bin/ssh");

    public static string SshKeygen => Tool("/usr/bin/ssh-keygen");

    public static string SshAgent => Tool("/usr/bin/ssh-agent");

    public static string SshAdd => Tool("/usr/bin/ssh-add");

    public static string Sshd => Tool("/usr/sbin/sshd");

    /// <summary>The release's version from <c>ssh -V</c> (10.0 for "OpenSSH_10.0p2 Debian-7").</summary>
    public static Version Version => Parsed.Value;

    /// <summary>sshd ≥ 9.8 refuses a source address for a while after failed logins (PerSourcePenalties).</summary>
    public static bool PenalisesSources => Version >= new Version(9, 8);

    /// <summary>
    /// sshd_config lines a test server needs on this release: with PerSourcePenalties, a test
    /// that makes refused logins on purpose would then see its good logins dropped.
    /// </summary>
    public static string SshdConfigForTests => PenalisesSources ? "PerSourcePenalties no\n" : "";

    private static string Tool(string debianPath)
    {
        if (Bin is not { } bin)
        {
            return debianPath;
        }

        var wrapper = Path.Combine(bin, Path.GetFileName(debianPath));
        return File.Exists(wrapper)
            ? wrapper
            : throw new FileNotFoundException($"{BinVariable}={bin} has no {Path.GetFileName(debianPath)} (scripts/openssh-releases.sh prepare {Release})", wrapper);
    }

    private static Version ReadVersion()
    {
        var banner = ProcessRunner.Run(Ssh, ["-V"]).Output;
        var match = VersionPattern().Match(banner);
        return match.Success
            ? new Version(int.Parse(match.Groups["major"].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups["minor"].Value, CultureInfo.InvariantCulture))
            : throw new InvalidOperationException($"{Ssh} -V printed no OpenSSH version: {banner}");
    }

    [GeneratedRegex(@"OpenSSH_(?<major>\d+)\.(?<minor>\d+)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex VersionPattern();
}
