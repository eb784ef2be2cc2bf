using IncusTestKit.Client;

namespace IncusTestKit.Errors;

/// <summary>
/// The root of every error IncusTestKit throws. <see cref="Code"/> is stable and safe to switch on;
/// <see cref="Exception.Message"/> says what went wrong and how to fix it, and quotes the Incus daemon's own words
/// where they say more than the code (for diagnostics only: their wording changes between Incus versions).
/// </summary>
public class IncusTestKitException : Exception
{
    /// <summary>Creates an error with a code and a message for people that says how to fix it.</summary>
    public IncusTestKitException(SandboxErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>What kind of failure this is; stable across versions.</summary>
    public SandboxErrorCode Code { get; }

    /// <summary>
    /// The daemon's own error text, when the failure came from the daemon. Internal on purpose: only
    /// <see cref="IncusErrorMapper"/> reads daemon text; everything else acts on the type, <see cref="Code"/> or <see cref="Condition"/>.
    /// </summary>
    internal string? DaemonMessage { get; set; }

    /// <summary>What the mapper read in the daemon's answer, for the SDK's own decisions (already running, busy, ...).</summary>
    internal DaemonCondition Condition { get; set; }
}
