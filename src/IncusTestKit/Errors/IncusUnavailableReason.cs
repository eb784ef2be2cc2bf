namespace IncusTestKit.Errors;

/// <summary>Why <see cref="IncusUnavailableException"/> was thrown.</summary>
public enum IncusUnavailableReason
{
    /// <summary>The socket file does not exist: Incus is not installed or not started.</summary>
    SocketMissing,
    /// <summary>The socket exists but this user may not open it.</summary>
    PermissionDenied,
    /// <summary>
    /// The socket exists but the daemon refused or dropped the connection, or did not answer within
    /// <see cref="Configuration.SandboxClientOptions.DaemonTimeout"/> (then <see cref="IncusUnavailableException.Waited"/> says how long it was given).
    /// </summary>
    NotAnswering,
}
