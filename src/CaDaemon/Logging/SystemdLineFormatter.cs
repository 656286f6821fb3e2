using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace SshHsmCa.CaDaemon.Logging;

/// <summary>
/// One event, one line: <c>&lt;3&gt;SshHsmCa.CaDaemon.Issuing.IssuingPipeline: message | exception</c>.
/// Newlines inside the message or the exception become <c> | </c> so that a stack trace stays one
/// journal entry with the right priority.
/// </summary>
internal sealed class SystemdLineFormatter(bool withTimestamp) : ITextFormatter
{
    /// <summary>sd-daemon(3) priorities: Fatal 2 (crit), Error 3, Warning 4, Information 6, Debug/Verbose 7.</summary>
    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2,
        LogEventLevel.Error => 3,
        LogEventLevel.Warning => 4,
        LogEventLevel.Information => 6,
        _ => 7,
    };

    /// <inheritdoc/>
    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        var line = new System.Text.StringBuilder(256);
        line.Append('<').Append(Priority(logEvent.Level)).Append('>');
        if (withTimestamp)
        {
            line.Append(logEvent.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)).Append(' ');
        }

        if (logEvent.Properties.TryGetValue(Constants.SourceContextPropertyName, out var source) && source is ScalarValue { Value: string name })
        {
            line.Append(name).Append(": ");
        }

        using (var message = new StringWriter(System.Globalization.CultureInfo.InvariantCulture))
        {
            logEvent.RenderMessage(message, System.Globalization.CultureInfo.InvariantCulture);
            AppendOneLine(line, message.ToString());
        }

        if (logEvent.Exception is { } exception)
        {
            line.Append(" | ");
            AppendOneLine(line, exception.ToString());
        }

        line.Append('\n');
        output.Write(line.ToString());
    }

    private static void AppendOneLine(System.Text.StringBuilder line, string text)
    {
        var start = line.Length;
        line.Append(text);
        line.Replace("\r\n", " | ", start, line.Length - start);
        line.Replace("\n", " | ", start, line.Length - start);
        line.Replace("\r", " | ", start, line.Length - start);
    }
}
