namespace SshHsmCa.Cli;

/// <summary>ssh-agent answered SSH_AGENT_FAILURE to an add: it does not support a constraint, or refuses the key.</summary>
internal sealed class AgentRefusedException : IOException
{
    public AgentRefusedException(string message)
        : base(message)
    {
    }

    public AgentRefusedException()
    {
    }

    public AgentRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
