using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace IncusTestKit.Benchmarks;

/// <summary>
/// The daemon's own floor, written as plainly as possible: hand-written JSON over the socket, no error
/// handling beyond what a measurement needs. Whatever the SDK adds shows up against these.
/// </summary>
internal sealed class RawIncusApi : IDisposable
{
    private static readonly string[] Fds = ["control", "0", "1", "2"];

    private readonly SocketsHttpHandler _handler;
    private readonly HttpClient _http;

    public RawIncusApi(string socketPath)
    {
        _handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        _http = new HttpClient(_handler) { BaseAddress = new Uri("http://incus/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<JsonElement> GetAsync(string path)
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync(path));
        return document.RootElement.Clone();
    }

    private async Task<JsonElement> PostAsync(string path, string json)
    {
        using var response = await _http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>Create and start in one operation from a local alias, as the incus CLI does: resolve, POST, wait.</summary>
    public async Task CreateAsync(string image, string name)
    {
        var alias = await GetAsync($"/1.0/images/aliases/{image}");
        var fingerprint = alias.GetProperty("metadata").GetProperty("target").GetString();
        var created = await PostAsync("/1.0/instances", $$$"""{"name":"{{{name}}}","start":true,"source":{"type":"image","fingerprint":"{{{fingerprint}}}"}}""");
        await GetAsync($"/1.0/operations/{created.GetProperty("metadata").GetProperty("id").GetString()}/wait?timeout=60");
    }

    /// <summary>
    /// A copy of an instance's snapshot, started: the copy-on-write clone of a prepared template (the storage driver clones
    /// the snapshot's volume), then a start, each one operation waited for.
    /// </summary>
    public async Task CopyAndStartAsync(string instance, string snapshot, string name)
    {
        var copied = await PostAsync("/1.0/instances", $$$"""{"name":"{{{name}}}","source":{"type":"copy","source":"{{{instance}}}/{{{snapshot}}}"}}""");
        await WaitAsync(copied);
        using var response = await _http.PutAsync($"/1.0/instances/{name}/state", new StringContent("""{"action":"start"}""", Encoding.UTF8, "application/json"));
        using var started = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        await WaitAsync(started.RootElement);
    }

    private async Task WaitAsync(JsonElement operation)
    {
        var done = await GetAsync($"/1.0/operations/{operation.GetProperty("metadata").GetProperty("id").GetString()}/wait?timeout=60");
        if (done.GetProperty("metadata").GetProperty("status").GetString() != "Success")
            throw new InvalidOperationException($"The operation failed: {done}");
    }

    /// <summary>Record-output exec: POST, wait on the operation, fetch and delete the two log files.</summary>
    public async Task<int> RecordOutputExecAsync(string instance, string[] argv)
    {
        var body = $$"""{"command":{{JsonSerializer.Serialize(argv)}},"record-output":true,"wait-for-websocket":false,"interactive":false}""";
        var created = await PostAsync($"/1.0/instances/{instance}/exec", body);
        var id = created.GetProperty("metadata").GetProperty("id").GetString();
        var done = await GetAsync($"/1.0/operations/{id}/wait?timeout=30");
        var metadata = done.GetProperty("metadata").GetProperty("metadata");
        foreach (var log in metadata.GetProperty("output").EnumerateObject())
        {
            await _http.GetByteArrayAsync(log.Value.GetString());
            (await _http.DeleteAsync(log.Value.GetString())).Dispose();
        }
        return metadata.GetProperty("return").GetInt32();
    }

    /// <summary>Websocket exec: POST, attach the four sockets, send stdin EOF, read to the barriers, wait.</summary>
    public async Task<int> WebSocketExecAsync(string instance, string[] argv)
    {
        var body = $$"""{"command":{{JsonSerializer.Serialize(argv)}},"wait-for-websocket":true,"interactive":false}""";
        var created = await PostAsync($"/1.0/instances/{instance}/exec", body);
        var operation = created.GetProperty("metadata");
        var id = operation.GetProperty("id").GetString();
        var fds = operation.GetProperty("metadata").GetProperty("fds");
        var sockets = await Task.WhenAll(Fds.Select(async fd =>
        {
            var socket = new ClientWebSocket();
            using var invoker = new HttpMessageInvoker(_handler, disposeHandler: false);
            await socket.ConnectAsync(new Uri($"ws://incus/1.0/operations/{id}/websocket?secret={fds.GetProperty(fd).GetString()}"), invoker, CancellationToken.None);
            return socket;
        }));
        await sockets[1].SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, true, CancellationToken.None);
        await Task.WhenAll(ReadToBarrierAsync(sockets[2]), ReadToBarrierAsync(sockets[3]));
        var done = await GetAsync($"/1.0/operations/{id}/wait?timeout=30");
        foreach (var socket in sockets)
            socket.Dispose();
        return done.GetProperty("metadata").GetProperty("metadata").GetProperty("return").GetInt32();
    }

    private static async Task ReadToBarrierAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close || (received.MessageType == WebSocketMessageType.Text && received.Count == 0))
                    return;
            }
        }
        catch (WebSocketException)
        {
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }
}
