namespace SshHsmCa.CaDaemon.Audit;

/// <summary>A revocation, as recorded: who, when, why, what was asked and what it wrote to the KRL.</summary>
internal sealed record RevocationRecord
{
    /// <summary>Its id (0 before it is recorded).</summary>
    public ulong Id { get; init; }

    /// <summary>When, Unix seconds.</summary>
    public required ulong CreatedAt { get; init; }

    /// <summary>Who revoked.</summary>
    public required string Caller { get; init; }

    /// <summary>How they authenticated.</summary>
    public required Policy.AuthMethod AuthMethod { get; init; }

    /// <summary>Peer address.</summary>
    public required string SourceAddress { get; init; }

    /// <summary>Why.</summary>
    public required string Reason { get; init; }

    /// <summary>What was asked, in words.</summary>
    public required string Selector { get; init; }

    /// <summary>The KRL entries.</summary>
    public required IReadOnlyList<RevokedItem> Items { get; init; }

    /// <summary>The KRL version that first included it (0 before it is recorded).</summary>
    public ulong KrlVersion { get; init; }
}
