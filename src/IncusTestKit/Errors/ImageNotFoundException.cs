namespace IncusTestKit.Errors;

/// <summary>The image reference (alias, fingerprint or <c>remote:alias</c>) resolves to no image.</summary>
public sealed class ImageNotFoundException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public ImageNotFoundException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.ImageNotFound, message, innerException)
    {
    }
}
