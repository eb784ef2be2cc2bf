namespace IncusTestKit.Errors;

/// <summary>A sandbox, snapshot or label name breaks Incus's naming rules.</summary>
public sealed class InvalidNameException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public InvalidNameException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.InvalidName, message, innerException)
    {
    }
}
