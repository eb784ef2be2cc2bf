using IncusTestKit.Errors;

namespace IncusTestKit.Xunit;

/// <summary>
/// A sandbox fixture could not get its sandbox because Incus cannot provide it here: the daemon is unreachable, the
/// image is missing, or a virtual machine was asked for on a host without VM support. Thrown to each test that uses
/// the fixture; <see cref="SandboxFactAttribute"/> and <see cref="SandboxTheoryAttribute"/> turn it into a skip unless
/// <c>ISB_REQUIRE_INCUS=1</c>. The message says the cause and the fix; the inner exception is the SDK's error.
/// </summary>
public sealed class SandboxUnavailableException : IncusTestKitException
{
    /// <summary>Creates the error.</summary>
    public SandboxUnavailableException(string message, Exception innerException)
        : base((innerException as IncusTestKitException)?.Code ?? SandboxErrorCode.IncusUnavailable, message, innerException)
    {
    }
}
