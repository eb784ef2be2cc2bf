namespace IncusTestKit.Errors;

/// <summary>A command that was required to succeed exited with a non-zero code or could not start.</summary>
public sealed class CommandFailedException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public CommandFailedException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.CommandFailed, message, innerException)
    {
    }
}
