namespace IncusTestKit.Errors;

/// <summary>The server cannot run the requested instance type (for example a VM on a host without KVM).</summary>
public sealed class UnsupportedInstanceTypeException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should say how to fix it.</summary>
    public UnsupportedInstanceTypeException(string message, Exception? innerException = null)
        : base(SandboxErrorCode.UnsupportedInstanceType, message, innerException)
    {
    }
}
