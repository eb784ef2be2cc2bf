namespace IncusTestKit.Errors;

/// <summary>A path (in the sandbox, or a host source folder) does not exist.</summary>
public sealed class PathNotFoundException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public PathNotFoundException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.PathNotFound, message, innerException)
    {
    }
}
