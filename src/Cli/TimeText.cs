using System.Globalization;

namespace SshHsmCa.Cli;

/// <summary>Times as the CLI prints them: instants in UTC with the zone, spans as "7h 59m".</summary>
internal static class TimeText
{
    private const ulong Minute = 60;
    private const ulong Hour = 60 * Minute;
    private const ulong Day = 24 * Hour;

    /// <summary>"7h 59m", "3d 4h", "12m 5s", "45s"; never overflows (<c>ulong</c> seconds throughout).</summary>
    public static string Span(ulong seconds)
    {
        if (seconds >= 36_500 * Day)
        {
            return "more than 100 years";
        }

        var (d, h, m, s) = (seconds / Day, seconds % Day / Hour, seconds % Hour / Minute, seconds % Minute);
        return d > 0 ? string.Create(CultureInfo.InvariantCulture, $"{d}d {h}h")
            : h > 0 ? string.Create(CultureInfo.InvariantCulture, $"{h}h {m}m")
            : m > 0 ? string.Create(CultureInfo.InvariantCulture, $"{m}m {s}s")
            : string.Create(CultureInfo.InvariantCulture, $"{s}s");
    }

    /// <summary>An instant as "2026-11-29 12:00:00 UTC" (the zone always said).</summary>
    public static string Utc(ulong unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(unixSeconds, 253402300799UL)).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>What is left of a validity window at <paramref name="now"/>, in words.</summary>
    public static string Left(ulong validAfter, ulong validBefore, ulong now) =>
        now < validAfter ? $"not yet valid (starts in {Span(validAfter - now)})"
        : now >= validBefore ? "expired"
        : validBefore == ulong.MaxValue ? "forever"
        : Span(validBefore - now);
}
