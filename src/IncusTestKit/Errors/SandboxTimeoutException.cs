namespace IncusTestKit.Errors;

/// <summary>An operation (readiness, a command, a stop) did not finish within its timeout.</summary>
public sealed class SandboxTimeoutException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public SandboxTimeoutException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.Timeout, message, innerException)
    {
    }
}
