using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using IncusTestKit.Errors;

namespace IncusTestKit.Client;

/// <summary>
/// HTTP and websockets over the daemon's Unix socket: one pooled handler shared by every request,
/// so a single client can be used from many tasks at once. A later TLS transport for remote
/// servers slots in here; nothing above it knows how bytes reach the daemon.
/// </summary>
internal sealed class IncusTransport : IDisposable
{
    // The host part is ignored by the daemon; it only has to make a valid URI.
    private static readonly Uri BaseUri = new("http://incus/");

    private readonly SocketsHttpHandler _handler;
    private readonly SocketsHttpHandler _webSocketHandler;
    private readonly HttpClient _http;

    public IncusTransport(string socketPath)
    {
        SocketPath = socketPath;
        _handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(new FirstWriteConnectStream(ConnectAsync)),
            // A restarted daemon leaves dead pooled connections behind; do not keep them long.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(15),
            MaxConnectionsPerServer = 64,
        };
        // Websockets get connections of their own, whose writes survive the daemon closing first (see PeerClosedTolerantStream).
        _webSocketHandler = new SocketsHttpHandler
        {
            ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(new PeerClosedTolerantStream(new FirstWriteConnectStream(ConnectAsync))),
        };
        // No global timeout: /wait long-polls and transfers can be large. Every call is bounded by its token.
        _http = new HttpClient(_handler, disposeHandler: false) { BaseAddress = BaseUri, Timeout = Timeout.InfiniteTimeSpan };
    }

    public string SocketPath { get; }

    // Called by the first write on a connection (see FirstWriteConnectStream), so the request's token bounds it.
    private async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request and parses the daemon's envelope; daemon errors are returned, not thrown.</summary>
    public async Task<IncusResponse> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        return await ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request and hands back the raw response (for file and log bodies).</summary>
    public async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException && !cancellationToken.IsCancellationRequested)
        {
            throw Unavailable(e);
        }
    }

    public static async Task<IncusResponse> ReadEnvelopeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (body.Length == 0)
            return IncusResponse.FromStatus((int)response.StatusCode, response.ReasonPhrase ?? "empty response");
        try
        {
            using var document = JsonDocument.Parse(body);
            return IncusResponse.Parse(document.RootElement, (int)response.StatusCode);
        }
        catch (JsonException)
        {
            return IncusResponse.FromStatus((int)response.StatusCode, System.Text.Encoding.UTF8.GetString(body).Trim());
        }
    }

    /// <summary>Opens a websocket (exec streams, events) over the same socket.</summary>
    public async Task<ClientWebSocket> ConnectWebSocketAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            var uri = new Uri("ws://incus" + pathAndQuery);
            using var invoker = new HttpMessageInvoker(_webSocketHandler, disposeHandler: false);
            await socket.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (WebSocketException e) when (!cancellationToken.IsCancellationRequested)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            if (status == 0 || e.InnerException is HttpRequestException or IOException or SocketException)
                throw Unavailable(e);
            throw new WebSocketRefusedException(status, $"The daemon refused the websocket {pathAndQuery.Split('?')[0]} with HTTP {(int)status}.", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Turns a transport failure into the reason a user can act on.</summary>
    public IncusUnavailableException Unavailable(Exception cause)
    {
        var socketError = FindSocketError(cause);
        if (!File.Exists(SocketPath))
        {
            return new IncusUnavailableException(IncusUnavailableReason.SocketMissing, SocketPath,
                $"The Incus socket {SocketPath} does not exist: Incus is not installed or its daemon is not started. " +
                "Run ./build.sh bootstrap (as root) or start the daemon (systemctl start incus), or point INCUS_SOCKET at the right socket.", cause);
        }
        if (socketError is SocketError.AccessDenied)
        {
            return new IncusUnavailableException(IncusUnavailableReason.PermissionDenied, SocketPath,
                $"Permission denied on the Incus socket {SocketPath}. Run as root or add your user to the group that owns it " +
                "(usually incus-admin: sudo usermod -aG incus-admin $USER, then log in again).", cause);
        }
        return new IncusUnavailableException(IncusUnavailableReason.NotAnswering, SocketPath,
            $"The Incus daemon is not answering on {SocketPath} ({cause.GetBaseException().Message}). " +
            "It may be stopped or restarting: start it (./build.sh bootstrap, or systemctl start incus) and try again.", cause);
    }

    private static SocketError? FindSocketError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SocketException s)
                return s.SocketErrorCode;
        }
        return null;
    }

    public static HttpContent Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
        _webSocketHandler.Dispose();
    }
}
