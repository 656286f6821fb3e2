namespace SshHsmCa.Policy;

/// <summary>A policy that was refused as a whole; <see cref="Errors"/> lists every problem found.</summary>
public sealed class PolicyLoadException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public PolicyLoadException(IReadOnlyList<PolicyLoadError> errors)
        : base("policy refused: " + string.Join("; ", errors))
    {
        Errors = errors;
    }

    /// <summary>Creates an exception with one problem at the root.</summary>
    public PolicyLoadException()
        : this([new PolicyLoadError("$", "invalid policy")])
    {
    }

    /// <summary>Creates an exception with one problem at the root.</summary>
    public PolicyLoadException(string message)
        : this([new PolicyLoadError("$", message)])
    {
    }

    /// <summary>Creates an exception with one problem at the root and a cause.</summary>
    public PolicyLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new PolicyLoadError("$", message)];
    }

    /// <summary>Every problem, each with its JSON path.</summary>
    public IReadOnlyList<PolicyLoadError> Errors { get; }
}
