using System.Globalization;

namespace SshHsmCa.Ssh;

/// <summary>Durations as policy files and the CLI write them: a whole number and a unit, <c>s m h d w</c> (e.g. <c>90s</c>, <c>8h</c>, <c>30d</c>).</summary>
public static class Duration
{
    /// <summary>Parses a duration; false when malformed, zero, negative or over 100 years.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text.Length < 2 || text.Length > 12)
        {
            return false;
        }

        var unit = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(1),
            'm' => TimeSpan.FromMinutes(1),
            'h' => TimeSpan.FromHours(1),
            'd' => TimeSpan.FromDays(1),
            'w' => TimeSpan.FromDays(7),
            _ => TimeSpan.Zero,
        };
        if (unit == TimeSpan.Zero || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count <= 0 || count > 36500L * 86400)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(count * (long)unit.TotalSeconds);
        return value <= TimeSpan.FromDays(36500);
    }

    /// <summary>Formats as the largest whole unit.</summary>
    public static string Format(TimeSpan value)
    {
        var seconds = (long)value.TotalSeconds;
        foreach (var (unit, size) in new[] { ("w", 604800L), ("d", 86400L), ("h", 3600L), ("m", 60L) })
        {
            if (seconds >= size && seconds % size == 0)
            {
                return (seconds / size).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }

        return seconds.ToString(CultureInfo.InvariantCulture) + "s";
    }
}
