using IncusTestKit.Configuration;

namespace IncusTestKit.Errors;

/// <summary>
/// The Incus daemon cannot be reached; <see cref="Reason"/> tells why. When the cause is trust between this client and
/// a remote server (a certificate refused on either side), the error is the <see cref="IncusTrustException"/> subtype.
/// </summary>
public class IncusUnavailableException : IncusTestKitException
{
    /// <summary>Creates the error.</summary>
    public IncusUnavailableException(IncusUnavailableReason reason, IncusEndpoint endpoint, string message, Exception? innerException = null)
        : base(SandboxErrorCode.IncusUnavailable, message, innerException)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        Reason = reason;
        Endpoint = endpoint;
    }

    /// <summary>Why the daemon could not be reached.</summary>
    public IncusUnavailableReason Reason { get; }

    /// <summary>Where the daemon was tried: its Unix socket, or a remote server's address (and its certificates).</summary>
    public IncusEndpoint Endpoint { get; }

    /// <summary>The Unix socket that was tried, or for a remote server its address: <see cref="Endpoint"/> as text.</summary>
    [Obsolete("Use Endpoint: it is the socket or the remote server's address (Endpoint.SocketPath, Endpoint.Address); its text is what this returns.")]
    public string SocketPath => Endpoint.ToString();

    /// <summary>
    /// How long the call waited for an answer before it gave up, when the daemon took too long
    /// (see <see cref="SandboxClientOptions.DaemonTimeout"/>); null when it refused or dropped the
    /// connection instead, or could not be reached at all.
    /// </summary>
    public TimeSpan? Waited { get; init; }
}
