namespace IncusTestKit.Errors;

/// <summary>Why <see cref="IncusUnavailableException"/> was thrown. The last four are about trust with a remote server and
/// come as <see cref="IncusTrustException"/>.</summary>
public enum IncusUnavailableReason
{
    /// <summary>The socket file does not exist: Incus is not installed or not started.</summary>
    SocketMissing,
    /// <summary>The socket exists but this user may not open it.</summary>
    PermissionDenied,
    /// <summary>
    /// The socket exists (or, for a remote server, the address was given) but the daemon refused or dropped the connection, or did not answer within
    /// <see cref="Configuration.SandboxClientOptions.DaemonTimeout"/> (then <see cref="IncusUnavailableException.Waited"/> says how long it was given).
    /// </summary>
    NotAnswering,
    /// <summary>A remote server presented a certificate that is not the pinned one (or, with none pinned, one the
    /// system's CAs do not trust), or one that has expired or is not yet valid: the connection was refused before
    /// anything was sent.</summary>
    ServerCertificateRejected,
    /// <summary>A remote server does not trust this client's certificate (it answered "not authorized"): add it to the
    /// server's trust store.</summary>
    ClientNotTrusted,
    /// <summary>The client certificate or key for a remote server is missing, unreadable, expired or not yet valid.</summary>
    ClientCertificateInvalid,
    /// <summary>The file of the remote server's pinned certificate (<see cref="Configuration.IncusEndpoint.ServerCertificatePath"/>,
    /// <c>servercerts/</c> for a remote of the incus CLI) is missing, unreadable or not a certificate: nothing was sent.</summary>
    PinnedCertificateUnreadable,
}
