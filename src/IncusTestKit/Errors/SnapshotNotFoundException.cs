namespace IncusTestKit.Errors;

/// <summary>The sandbox has no snapshot with the given name.</summary>
public sealed class SnapshotNotFoundException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public SnapshotNotFoundException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.SnapshotNotFound, message, innerException)
    {
    }
}
