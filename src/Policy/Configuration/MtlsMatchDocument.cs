namespace SshHsmCa.Policy.Configuration;

/// <summary>mTLS conditions (patterns with <c>*</c> wildcards).</summary>
public sealed class MtlsMatchDocument
{
    /// <summary>Subject DN patterns.</summary>
    public List<string>? Subjects { get; set; }

    /// <summary>SAN patterns.</summary>
    public List<string>? Sans { get; set; }
}
