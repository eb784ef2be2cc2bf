using System.Net;
using IncusTestKit.Errors;

namespace IncusTestKit.Client;

/// <summary>The daemon answered a websocket request with an HTTP status instead of switching protocols.</summary>
internal sealed class WebSocketRefusedException(HttpStatusCode statusCode, string message, Exception innerException)
    : IncusTestKitException(SandboxErrorCode.OperationFailed, message, innerException)
{
    /// <summary>The status the daemon answered with (404: the operation is gone).</summary>
    public HttpStatusCode StatusCode { get; } = statusCode;
}
