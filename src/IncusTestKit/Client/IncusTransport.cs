using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Text.Json;
using IncusTestKit.Configuration;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using Microsoft.Extensions.Logging;

namespace IncusTestKit.Client;

/// <summary>
/// HTTP and websockets to the daemon, over its Unix socket or over TCP and TLS to a remote server (see
/// <see cref="IncusEndpoint"/>): one pooled handler shared by every request, so a single client can be used from many
/// tasks at once. Nothing above it knows how bytes reach the daemon; only the connection differs between the two.
/// </summary>
internal sealed class IncusTransport : IDisposable
{
    private readonly SocketsHttpHandler _handler;
    private readonly SocketsHttpHandler _webSocketHandler;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly Uri _baseUri;
    private readonly string _webSocketBase;
    private readonly TlsIdentity? _tls;

    public IncusTransport(IncusEndpoint endpoint, TimeSpan daemonTimeout, ILogger logger)
    {
        _logger = logger;
        Endpoint = endpoint;
        DaemonTimeout = daemonTimeout;
        if (endpoint.Address is { } address)
        {
            _tls = TlsIdentity.Load(endpoint);
            _baseUri = address;
            _webSocketBase = "wss://" + address.Authority;
        }
        else
        {
            // The host part is ignored by the daemon on its socket; it only has to make a valid URI.
            _baseUri = new Uri("http://incus/");
            _webSocketBase = "ws://incus";
        }
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
        if (_tls is not null)
        {
            // The handlers run TLS over the stream ConnectAsync gives them, so both transports share everything above the socket.
            _handler.SslOptions = _tls.ClientOptions();
            _webSocketHandler.SslOptions = _tls.ClientOptions();
        }
        // No global timeout: /wait long-polls and transfers can be long. Every step is bounded by DaemonTimeout instead (see SendRawAsync).
        _http = new HttpClient(_handler, disposeHandler: false) { BaseAddress = _baseUri, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Where the daemon is: its Unix socket or a remote server's address.</summary>
    public IncusEndpoint Endpoint { get; }

    /// <summary>How long the daemon may take to answer each step of a call (see <see cref="Configuration.SandboxClientOptions.DaemonTimeout"/>).</summary>
    public TimeSpan DaemonTimeout { get; }

    // Called by the first write on a connection (see FirstWriteConnectStream), so the request's bound covers it.
    private async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var remote = Endpoint.IsRemote;
        var socket = remote
            ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            EndPoint target = remote ? new DnsEndPoint(Endpoint.Address!.IdnHost, Endpoint.Address.Port) : new UnixDomainSocketEndPoint(Endpoint.SocketPath!);
            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request and parses the daemon's envelope; daemon errors are returned, not thrown.</summary>
    public Task<IncusResponse> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken) =>
        SendAsync(method, path, content, null, TimeSpan.Zero, cancellationToken);

    /// <summary>As below, with no precondition.</summary>
    public Task<IncusResponse> SendAsync(HttpMethod method, string path, HttpContent? content, string? what, TimeSpan longPoll, CancellationToken cancellationToken) =>
        SendAsync(method, path, content, what, longPoll, ifMatch: null, cancellationToken);

    /// <summary>As above, saying what the call is for (in the error when the daemon does not answer) and how long the
    /// daemon may legitimately hold the answer back on top of <see cref="DaemonTimeout"/> (a long-poll). With
    /// <paramref name="ifMatch"/> (an ETag the daemon gave on a read), the daemon refuses the change with 412 when the
    /// object changed since; the answer's own ETag is in <see cref="IncusResponse.ETag"/>.</summary>
    public async Task<IncusResponse> SendAsync(HttpMethod method, string path, HttpContent? content, string? what, TimeSpan longPoll, string? ifMatch,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (ifMatch is not null)
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, what, longPoll, cancellationToken).ConfigureAwait(false);
        var envelope = await ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
        return response.Headers.ETag is { } etag ? envelope with { ETag = etag.ToString() } : envelope;
    }

    /// <summary>Sends a request and hands back the raw response (for file and log bodies).</summary>
    public Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken) =>
        SendRawAsync(request, completion, null, TimeSpan.Zero, cancellationToken);

    /// <summary>
    /// Sends a request and hands back the raw response. The daemon gets <see cref="DaemonTimeout"/> (plus
    /// <paramref name="longPoll"/>) to answer, counted from the moment the whole request is sent, and as long again for
    /// each write of the request's body and each read of the answer's: a transfer is bounded by its progress, never
    /// by its size.
    /// </summary>
    /// <exception cref="IncusUnavailableException">The daemon cannot be reached, or did not answer in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, string? what, TimeSpan longPoll,
        CancellationToken cancellationToken)
    {
        ThrowIfCertificatesUnusable();
        var described = $"{request.Method} {request.RequestUri?.OriginalString.Split('?')[0]}";
        var bound = DaemonTimeout == Timeout.InfiniteTimeSpan ? DaemonTimeout : DaemonTimeout + longPoll;
        HttpResponseMessage response;
        using (var deadline = new DaemonDeadline(bound, cancellationToken))
        {
            if (request.Content is { } body)
                request.Content = new BoundedRequestContent(body, deadline);
            try
            {
                // Always headers first: the body is read below through a stream that bounds each read.
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException or SocketException && !cancellationToken.IsCancellationRequested)
            {
                // The connect timeout is the same bound, so any cancellation the caller did not ask for is the daemon's silence.
                throw deadline.Expired || e is OperationCanceledException ? NotAnswering(what, described, deadline.Bound, e) : Unavailable(e);
            }
        }
        // A long-poll's headers can come at once and its body only at the end of the poll (/wait does that).
        response.Content = new BoundedResponseContent(response.Content, this, what, described, bound);
        if (completion == HttpCompletionOption.ResponseContentRead)
        {
            try
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
        return response;
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

    /// <summary>
    /// Opens a websocket (exec streams, terminals, consoles) over the same socket; the connection and the handshake
    /// are bounded by <see cref="DaemonTimeout"/>. What flows afterwards is not: a quiet command is not a stuck daemon
    /// (the operation's wait rounds tell those apart, see <see cref="OperationsApi"/>).
    /// </summary>
    public async Task<ClientWebSocket> ConnectWebSocketAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        ThrowIfCertificatesUnusable();
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var path = pathAndQuery.Split('?')[0];
        using var deadline = new DaemonDeadline(DaemonTimeout, cancellationToken);
        try
        {
            var uri = new Uri(_webSocketBase + pathAndQuery);
            using var invoker = new HttpMessageInvoker(_webSocketHandler, disposeHandler: false);
            await socket.ConnectAsync(uri, invoker, deadline.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException && deadline.Expired)
        {
            socket.Dispose();
            throw NotAnswering(null, $"opening the websocket {path}", deadline.Bound, e);
        }
        catch (WebSocketException e) when (!cancellationToken.IsCancellationRequested)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            if (status == 0 || e.InnerException is HttpRequestException or IOException or SocketException)
                throw Unavailable(e);
            throw new WebSocketRefusedException(status, $"The daemon refused the websocket {path} with HTTP {(int)status}.", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The daemon took longer than its bound: what was being done, for how long, and what to do about it.</summary>
    /// <param name="what">What the call was for, as a person would say it; null when only the request is known.</param>
    /// <param name="request">The request or step that got no answer.</param>
    /// <param name="waited">How long it was given.</param>
    /// <param name="cause">The cancellation or I/O error that ended the wait.</param>
    public IncusUnavailableException NotAnswering(string? what, string request, TimeSpan waited, Exception? cause)
    {
        Log.DaemonNotAnswering(_logger, Endpoint.ToString(), Log.Milliseconds(waited), request);
        return new(IncusUnavailableReason.NotAnswering, Endpoint,
            (what is null ? "The Incus daemon" : $"{what}: the Incus daemon") +
            $" on {Endpoint} did not answer within {Seconds(waited)} ({request}); it is stuck or overloaded. " +
            $"Check it with 'incus info'; if it stays stuck, restart it ({SetupSteps.Restart}); " +
            $"if it is only slow, give it longer than the {Seconds(DaemonTimeout)} it has (DaemonTimeout, ISB_DAEMON_TIMEOUT).", cause)
        {
            Waited = waited,
        };
    }

    private static string Seconds(TimeSpan t) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###} s");

    /// <summary>Turns a transport failure into the reason a user can act on.</summary>
    public IncusUnavailableException Unavailable(Exception cause)
    {
        if (Endpoint.IsRemote)
            return RemoteUnavailable(cause);
        var socketPath = Endpoint.SocketPath!;
        var socketError = FindSocketError(cause);
        if (!File.Exists(socketPath))
        {
            return new IncusUnavailableException(IncusUnavailableReason.SocketMissing, Endpoint,
                $"The Incus socket {socketPath} does not exist: Incus is not installed or its daemon is not started. " +
                $"To set it up: {SetupSteps.FromScratch}. Or point INCUS_SOCKET at the right socket.", cause);
        }
        if (socketError is SocketError.AccessDenied)
        {
            return new IncusUnavailableException(IncusUnavailableReason.PermissionDenied, Endpoint,
                $"Permission denied on the Incus socket {socketPath}. Run as root or add your user to the group that owns it " +
                $"(usually incus-admin: {SetupSteps.JoinGroup}).", cause);
        }
        return new IncusUnavailableException(IncusUnavailableReason.NotAnswering, Endpoint,
            $"The Incus daemon is not answering on {socketPath} ({cause.GetBaseException().Message}). " +
            $"It may be stopped or restarting: start it ({SetupSteps.Restart}) and try again.", cause);
    }

    private IncusUnavailableException RemoteUnavailable(Exception cause)
    {
        if (HasInChain<AuthenticationException>(cause))
        {
            var rejection = _tls?.LastRejection ?? new TlsProblem(IncusUnavailableReason.ServerCertificateRejected, cause.GetBaseException().Message,
                "Check the server's certificate ('incus info' on the server) and the one pinned for it (ServerCertificatePath, or servercerts/ of the incus CLI).");
            return new IncusTrustException(rejection.Reason, Endpoint, $"The server at {Endpoint} was refused: {rejection.Why}. {rejection.Fix}", cause);
        }
        return new IncusUnavailableException(IncusUnavailableReason.NotAnswering, Endpoint,
            $"Nothing answers at {Endpoint} ({cause.GetBaseException().Message}). Check the address, that the server listens there " +
            "('incus config get core.https_address' on the server) and that no firewall is in the way.", cause);
    }

    private void ThrowIfCertificatesUnusable()
    {
        if (_tls?.Problem is { } problem)
            throw new IncusTrustException(problem.Reason, Endpoint, $"Cannot connect to {Endpoint}: {problem.Why}. {problem.Fix}");
    }

    private static bool HasInChain<T>(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T)
                return true;
        }
        return false;
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
