namespace IncusTestKit.Errors;

/// <summary>
/// The exec agent (<see cref="Exec.ExecChannel.Agent"/>) could not be started in the sandbox, or its channel broke while
/// a command ran: the agent died, was killed or replaced, or wrote something that is not its protocol. The command's
/// result is unknown; what it started may still run.
/// </summary>
public sealed class ExecAgentException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public ExecAgentException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.ExecAgent, message, innerException)
    {
    }
}
