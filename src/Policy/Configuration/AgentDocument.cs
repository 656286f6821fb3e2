namespace SshHsmCa.Policy.Configuration;

/// <summary>ssh-agent destination constraints for the keys login adds (issue 30).</summary>
public sealed class AgentDocument
{
    /// <summary>Constrain every key login adds to the hops below (default false: today's behaviour).</summary>
    public bool RestrictDestinations { get; set; }

    /// <summary>Hosts the key may be used for from the user's own machine.</summary>
    public List<string>? Hosts { get; set; }

    /// <summary>Hosts the key may be used for through an agent forwarded to a host.</summary>
    public List<AgentViaDocument>? Via { get; set; }

    /// <summary>An agent without support for the constraint may get the key unrestricted (default false: login fails).</summary>
    public bool AllowUnrestricted { get; set; }
}
