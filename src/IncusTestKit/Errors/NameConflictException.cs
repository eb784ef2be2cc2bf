namespace IncusTestKit.Errors;

/// <summary>An instance with the requested name already exists, or the sandbox already has a snapshot of that name.</summary>
public sealed class NameConflictException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public NameConflictException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.NameConflict, message, innerException)
    {
    }
}
