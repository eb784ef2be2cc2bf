namespace IncusTestKit.Errors;

/// <summary>
/// The root of every error IncusTestKit throws. <see cref="Code"/> is stable and safe to switch on;
/// <see cref="Exception.Message"/> says what went wrong and how to fix it.
/// </summary>
public class IncusTestKitException : Exception
{
    /// <summary>Creates an error with a code, a message for people and, when the daemon said something, its words.</summary>
    public IncusTestKitException(SandboxErrorCode code, string message, string? daemonMessage = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        DaemonMessage = daemonMessage;
    }

    /// <summary>What kind of failure this is; stable across versions.</summary>
    public SandboxErrorCode Code { get; }

    /// <summary>The Incus daemon's own error text, when the failure came from the daemon.</summary>
    public string? DaemonMessage { get; }
}
