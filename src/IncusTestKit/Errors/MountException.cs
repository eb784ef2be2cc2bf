namespace IncusTestKit.Errors;

/// <summary>
/// A host-folder mount could not be set up or removed (<see cref="SandboxErrorCode.Mount"/>), or the sandbox has no
/// IncusTestKit mount at the given target (<see cref="SandboxErrorCode.MountNotFound"/>).
/// </summary>
public sealed class MountException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public MountException(string message, Exception? innerException = null)
        : this(SandboxErrorCode.Mount, message, innerException)
    {
    }

    /// <summary>Creates the error with its code (<see cref="SandboxErrorCode.Mount"/> or <see cref="SandboxErrorCode.MountNotFound"/>).</summary>
    internal MountException(SandboxErrorCode code, string message, Exception? innerException = null)
        : base(code, message, innerException)
    {
    }
}
