namespace IncusTestKit.Errors;

/// <summary>The Incus daemon cannot be reached; <see cref="Reason"/> tells why.</summary>
public sealed class IncusUnavailableException : IncusTestKitException
{
    /// <summary>Creates the error.</summary>
    public IncusUnavailableException(IncusUnavailableReason reason, string socketPath, string message, Exception? innerException = null)
        : base(SandboxErrorCode.IncusUnavailable, message, innerException)
    {
        Reason = reason;
        SocketPath = socketPath;
    }

    /// <summary>Why the daemon could not be reached.</summary>
    public IncusUnavailableReason Reason { get; }

    /// <summary>The Unix socket that was tried, or for a remote server its address (see <see cref="Configuration.IncusEndpoint"/>).</summary>
    public string SocketPath { get; }

    /// <summary>
    /// How long the call waited for an answer before it gave up, when the daemon took too long
    /// (see <see cref="Configuration.SandboxClientOptions.DaemonTimeout"/>); null when it refused or dropped the
    /// connection instead, or could not be reached at all.
    /// </summary>
    public TimeSpan? Waited { get; init; }
}
