namespace IncusTestKit.Errors;

/// <summary>A host-folder mount could not be set up or removed.</summary>
public sealed class MountException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public MountException(string message, string? daemonMessage = null, Exception? innerException = null)
        : base(SandboxErrorCode.Mount, message, daemonMessage, innerException)
    {
    }
}
