using Serilog.Events;
using Serilog.Parsing;
using SshHsmCa.CaDaemon.Logging;

namespace SshHsmCa.CaDaemon.Tests;

public sealed class SystemdLineFormatterTests
{
    [Theory]
    [InlineData(LogEventLevel.Fatal, "<2>")]
    [InlineData(LogEventLevel.Error, "<3>")]
    [InlineData(LogEventLevel.Warning, "<4>")]
    [InlineData(LogEventLevel.Information, "<6>")]
    [InlineData(LogEventLevel.Debug, "<7>")]
    public void EachLevelCarriesItsSyslogPriority(LogEventLevel level, string prefix)
    {
        var line = Format(level, "serial {Serial} issued", null, false, new LogEventProperty("Serial", new ScalarValue(42UL)));
        Assert.Equal(prefix + "Test.Source: serial 42 issued\n", line);
    }

    [Fact]
    public void AnExceptionAndAMultiLineMessageStayOnOneLine()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("device\nunavailable");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        var line = Format(LogEventLevel.Error, "first\r\nsecond", thrown, false);
        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line[..^1]);
        Assert.DoesNotContain('\r', line);
        Assert.StartsWith("<3>Test.Source: first | second | System.InvalidOperationException: device | unavailable | ", line, StringComparison.Ordinal);
        Assert.Contains("AnExceptionAndAMultiLineMessageStayOnOneLine", line, StringComparison.Ordinal);
    }

    [Fact]
    public void OnATerminalTheLineHasATimestamp()
    {
        var line = Format(LogEventLevel.Information, "ready", null, true);
        Assert.Matches(@"^<6>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z Test.Source: ready\n$", line);
    }

    private static string Format(LogEventLevel level, string template, Exception? exception, bool timestamp, params LogEventProperty[] properties)
    {
        var all = properties.Append(new LogEventProperty("SourceContext", new ScalarValue("Test.Source")));
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, level, exception, new MessageTemplateParser().Parse(template), all);
        using var output = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        new SystemdLineFormatter(timestamp).Format(logEvent, output);
        return output.ToString();
    }
}
