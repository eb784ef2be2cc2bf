namespace IncusTestKit.Errors;

/// <summary>The sandbox has no IncusTestKit mount at the given target.</summary>
public sealed class MountNotFoundException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public MountNotFoundException(string message, string? daemonMessage = null, Exception? innerException = null)
        : base(SandboxErrorCode.MountNotFound, message, daemonMessage, innerException)
    {
    }
}
