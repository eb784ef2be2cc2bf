using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;

namespace IncusTestKit.Exec;

/// <summary>
/// A process per exec operation of the daemon, with its four websockets (control, stdin, stdout, stderr): works on any
/// image and any server, and costs an HTTP request, four websocket upgrades and an operation wait per command.
/// </summary>
internal sealed class DaemonExecChannel(IncusClient client, string instance) : IExecChannel
{
    private static readonly TimeSpan AttachBound = TimeSpan.FromSeconds(30);

    public ExecChannel Kind => ExecChannel.Daemon;

    public string? CgroupRoot => null;

    public async Task<IExecProcess> StartAsync(ExecStart start, Func<OutputSource, ReadOnlyMemory<byte>, ValueTask> onOutput, Action onRequested,
        string what, CancellationToken cancellationToken)
    {
        var body = new ExecPost
        {
            Command = start.Argv,
            Environment = start.Environment,
            Cwd = start.WorkingDirectory,
            User = start.Uid,
            Group = start.Gid,
            WaitForWebsocket = true,
        };
        var context = client.Instances.Context($"Running {what}", instance);
        var (operation, control, streams) = await StartAsync(body, context, onRequested, cancellationToken).ConfigureAwait(false);
        return new Process(client, operation, context, control, streams, onOutput);
    }

    /// <summary>Asks for the command and attaches its websockets: control, stdin, stdout, stderr.</summary>
    /// <remarks>
    /// The daemon gives up on websockets that are not all attached within seconds, and a daemon busy starting a
    /// container can stall that long; the command has not started then (it needs all three streams), so asking again
    /// is safe. Once the daemon has the request, the caller's cancellation waits for the attach: a command that starts
    /// must be held, so a cancellation can kill it.
    /// </remarks>
    private async Task<(Operation Operation, ClientWebSocket? Control, ClientWebSocket[] Streams)> StartAsync(
        ExecPost body, IncusErrorContext context, Action onPosted, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await client.RequestAsync(HttpMethod.Post, client.Scoped(InstancesApi.PathOf(instance) + "/exec"),
                IncusTransport.Json(body, IncusJsonContext.Default.ExecPost), context, cancellationToken).ConfigureAwait(false);
            var operation = response.Metadata.Deserialize(IncusJsonContext.Default.Operation)!;
            onPosted();
            using var bound = new CancellationTokenSource(AttachBound);
            try
            {
                var (control, streams) = await ConnectAllAsync(operation, bound.Token).ConfigureAwait(false);
                return (operation, control, streams);
            }
            catch (WebSocketRefusedException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.InternalServerError && attempt < 3)
            {
                // The operation is gone (404), or gave up on the streams while we attached them (500): it timed out
                // waiting for us, before the command started. Ask again.
                Log.ExecAttachRetry(client.Logger, context.What, (int)e.StatusCode, attempt + 1);
            }
            catch (OperationCanceledException e) when (bound.IsCancellationRequested)
            {
                throw client.Transport.Unavailable(new TimeoutException($"it did not attach the command's streams within {AttachBound.TotalSeconds:0} s", e));
            }
        }
    }

    // The daemon starts the command once 0, 1 and 2 are attached, without waiting for control, so all four are
    // connected at once to keep the start short. A command that ends before control is accepted takes its operation
    // with it and control is refused: that costs nothing but signals, and a kill has the sweep without them.
    private async Task<(ClientWebSocket? Control, ClientWebSocket[] Streams)> ConnectAllAsync(Operation operation, CancellationToken cancellationToken)
    {
        var fds = operation.Metadata.GetProperty("fds");
        var control = Connect(operation.Id, fds, "control", cancellationToken);
        Task<ClientWebSocket>[] streams =
        [
            Connect(operation.Id, fds, "0", cancellationToken),
            Connect(operation.Id, fds, "1", cancellationToken),
            Connect(operation.Id, fds, "2", cancellationToken),
        ];
        try
        {
            var connected = await Task.WhenAll(streams).ConfigureAwait(false);
            return (await OptionalAsync(control).ConfigureAwait(false), connected);
        }
        catch
        {
            (await OptionalAsync(control).ConfigureAwait(false))?.Dispose();
            foreach (var stream in streams.Where(t => t.IsCompletedSuccessfully))
                stream.Result.Dispose();
            throw;
        }
    }

    private static async Task<ClientWebSocket?> OptionalAsync(Task<ClientWebSocket> connecting)
    {
        try
        {
            return await connecting.ConfigureAwait(false);
        }
        catch (IncusTestKitException)
        {
            return null;
        }
    }

    private Task<ClientWebSocket> Connect(string operationId, JsonElement fds, string fd, CancellationToken cancellationToken) =>
        client.Transport.ConnectWebSocketAsync($"/1.0/operations/{operationId}/websocket?secret={Uri.EscapeDataString(fds.GetProperty(fd).GetString()!)}", cancellationToken);

    // Keeps a receive pending so pings are answered and a dropped connection is noticed.
    internal static async Task DrainAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        try
        {
            while ((await socket.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (WebSocketException)
        {
        }
    }

    private sealed class Process : IExecProcess
    {
        private readonly ClientWebSocket? _control;
        private readonly ClientWebSocket[] _streams;
        private readonly CancellationTokenSource _waitStop = new();
        private readonly Task<Operation> _finished;
        private readonly Func<OutputSource, ReadOnlyMemory<byte>, ValueTask> _onOutput;

        public Process(IncusClient client, Operation operation, IncusErrorContext context, ClientWebSocket? control, ClientWebSocket[] streams,
            Func<OutputSource, ReadOnlyMemory<byte>, ValueTask> onOutput)
        {
            _control = control;
            _streams = streams;
            _onOutput = onOutput;
            // The operation is waited on from the start, alongside the streams: its wait rounds are what shows the daemon
            // still answers while a quiet command sends nothing, and a round it leaves unanswered ends the call.
            _finished = client.Operations.WaitFinalAsync(operation.Id, context.What, _waitStop.Token);
            if (control is not null)
                _ = DrainAsync(control);
            _ = DrainAsync(streams[0]);
            Output = Task.WhenAll(PumpAsync(streams[1], OutputSource.Stdout), PumpAsync(streams[2], OutputSource.Stderr));
            Exited = ExitCodeAsync(context);
        }

        public Task Output { get; }

        public Task<int> Exited { get; }

        private async Task<int> ExitCodeAsync(IncusErrorContext context)
        {
            var done = await _finished.ConfigureAwait(false);
            return done.Metadata.ValueKind == JsonValueKind.Object && done.Metadata.TryGetProperty("return", out var r) && r.ValueKind == JsonValueKind.Number
                ? r.GetInt32()
                : throw IncusErrorMapper.Map(500, done.Err, context);
        }

        // Receives are never cancelled: in .NET that aborts the socket. The daemon ends each stream with an
        // empty text frame and then drops the connection, which surfaces as a WebSocketException.
        private async Task PumpAsync(ClientWebSocket socket, OutputSource source)
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false);
                    if (received.MessageType == WebSocketMessageType.Close)
                        return;
                    if (received.MessageType == WebSocketMessageType.Text && received.Count == 0 && received.EndOfMessage)
                        return;
                    if (received.Count > 0)
                        await _onOutput(source, buffer.AsMemory(0, received.Count)).ConfigureAwait(false);
                }
            }
            catch (WebSocketException)
            {
            }
        }

        public Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            _streams[0].SendAsync(data, WebSocketMessageType.Binary, true, cancellationToken).AsTask();

        // End-of-file for the command: an empty text frame.
        public Task EndStdinAsync(CancellationToken cancellationToken) =>
            _streams[0].SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, true, cancellationToken).AsTask();

        public Task SignalAsync(int signal, CancellationToken cancellationToken) =>
            _control is null ? Task.CompletedTask
            : _control.SendAsync(Encoding.UTF8.GetBytes($$"""{"command":"signal","signal":{{signal}}}""").AsMemory(), WebSocketMessageType.Text, true, cancellationToken).AsTask();

        public async ValueTask DisposeAsync()
        {
            // A daemon that stopped answering kills the command itself once it resumes: its control connection is gone.
            _control?.Dispose();
            foreach (var stream in _streams)
                stream.Dispose();
            await _waitStop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _finished.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IncusTestKitException)
            {
            }
            _waitStop.Dispose();
        }
    }
}
