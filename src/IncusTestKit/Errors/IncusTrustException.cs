using IncusTestKit.Configuration;

namespace IncusTestKit.Errors;

/// <summary>
/// A remote server and this client do not trust each other, so nothing was exchanged: the server presented a
/// certificate that is not the pinned one, has expired or is not yet valid, or is not trusted by the system's CAs
/// (<see cref="IncusUnavailableReason.ServerCertificateRejected"/>); the pinned certificate file cannot be read
/// (<see cref="IncusUnavailableReason.PinnedCertificateUnreadable"/>); the server does not trust this client
/// (<see cref="IncusUnavailableReason.ClientNotTrusted"/>); or the client certificate cannot be used
/// (<see cref="IncusUnavailableReason.ClientCertificateInvalid"/>). The message says which and what to do.
/// </summary>
/// <remarks>
/// A kind of <see cref="IncusUnavailableException"/>, so code that handles an unreachable daemon handles this too. It
/// is a type of its own because, unlike a daemon that is down, it is never a reason to skip a test: it is a
/// configuration to fix, or someone between this machine and the server. IncusTestKit.Xunit fails a test with it.
/// </remarks>
public sealed class IncusTrustException : IncusUnavailableException
{
    /// <summary>Creates the error.</summary>
    public IncusTrustException(IncusUnavailableReason reason, IncusEndpoint endpoint, string message, Exception? innerException = null)
        : base(reason, endpoint, message, innerException)
    {
    }
}
