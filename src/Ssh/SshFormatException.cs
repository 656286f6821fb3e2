namespace SshHsmCa.Ssh;

/// <summary>
/// The one exception type for malformed OpenSSH wire data or text (keys, certificates,
/// signatures, option values). <see cref="Field"/> names the field that was wrong, so a caller can
/// report it (gRPC field violations) without matching the message text.
/// </summary>
public sealed class SshFormatException : FormatException
{
    /// <summary>Creates an exception for a malformed <paramref name="field"/>.</summary>
    public SshFormatException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>Creates an exception without a field name.</summary>
    public SshFormatException()
        : this("input", "malformed")
    {
    }

    /// <summary>Creates an exception with a message only (field "input").</summary>
    public SshFormatException(string message)
        : this("input", message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public SshFormatException(string message, Exception innerException)
        : base($"input: {message}", innerException)
    {
        Field = "input";
        Problem = message;
    }

    /// <summary>The field that was malformed, e.g. <c>principals</c> or <c>signature key</c>.</summary>
    public string Field { get; }

    /// <summary>What was wrong with it, as a sentence fragment.</summary>
    public string Problem { get; }
}
