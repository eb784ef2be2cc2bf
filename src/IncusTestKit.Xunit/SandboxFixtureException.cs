using IncusTestKit.Errors;

namespace IncusTestKit.Xunit;

/// <summary>
/// A sandbox fixture failed to start its sandbox for a reason other than Incus being unavailable (a bad mount, an
/// unsafe profile, a readiness timeout, a certificate refused on either side of a remote connection: an
/// <see cref="IncusTrustException"/>...). Thrown to each test that uses the fixture, so every one of
/// them fails with the cause instead of the run crashing; the inner exception is the original error.
/// </summary>
public sealed class SandboxFixtureException : IncusTestKitException
{
    /// <summary>Creates the error.</summary>
    public SandboxFixtureException(string message, Exception innerException)
        : base((innerException as IncusTestKitException)?.Code ?? SandboxErrorCode.OperationFailed, message, innerException)
    {
    }
}
