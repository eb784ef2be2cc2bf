namespace IncusTestKit.Errors;

/// <summary>A resource limit was refused by the daemon or hit by the sandbox.</summary>
public sealed class ResourceLimitException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public ResourceLimitException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.ResourceLimit, message, innerException)
    {
    }
}
