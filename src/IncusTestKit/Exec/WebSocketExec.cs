using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Errors;

namespace IncusTestKit.Exec;

/// <summary>
/// One command over the daemon's exec websockets (stdin, stdout, stderr, control): streaming, stdin and signals,
/// with no CLI in between. On timeout or cancellation the command and everything it started are killed.
/// </summary>
internal sealed class WebSocketExec
{
    /// <summary>Every process a command starts inherits this variable, which is how a kill finds them all.</summary>
    public const string ExecIdVariable = "ISB_EXEC_ID";

    private static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    private readonly IncusClient _client;
    private readonly string _instance;
    private readonly CommandOptions _options;
    private readonly CappedBuffer _stdout;
    private readonly CappedBuffer _stderr;

    public WebSocketExec(IncusClient client, string instance, CommandOptions options)
    {
        _client = client;
        _instance = instance;
        _options = options;
        _stdout = new CappedBuffer(options.OutputLimit);
        _stderr = new CappedBuffer(options.OutputLimit);
    }

    public async Task<ExecResult> RunAsync(IReadOnlyList<string> argv, uint uid, uint gid, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var execId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        environment[ExecIdVariable] = execId;
        var body = new ExecPost
        {
            Command = argv,
            Environment = environment,
            Cwd = _options.WorkingDirectory,
            User = uid,
            Group = gid,
            WaitForWebsocket = true,
        };
        var context = _client.Instances.Context($"Running '{string.Join(' ', argv)}' in sandbox '{_instance}'", _instance);
        var (operation, control, streams) = await StartAsync(body, context, cancellationToken).ConfigureAwait(false);
        var (stdin, stdout, stderr) = (streams[0], streams[1], streams[2]);
        // The operation is waited on from the start, alongside the streams: its wait rounds are what shows the daemon
        // still answers while a quiet command sends nothing, and a round it leaves unanswered ends the call.
        using var waitStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var finished = _client.Operations.WaitFinalAsync(operation.Id, context.What, waitStop.Token);
        try
        {
            if (control is not null)
                _ = DrainAsync(control);
            _ = DrainAsync(stdin);
            var pumps = Task.WhenAll(
                PumpAsync(stdout, _stdout, OutputSource.Stdout, cancellationToken),
                PumpAsync(stderr, _stderr, OutputSource.Stderr, cancellationToken));
            // Not disposed: the feed may still hold its token after this method returns (see below).
            var feedStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var feed = FeedStdinAsync(stdin, feedStop.Token);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (_options.Timeout != Timeout.InfiniteTimeSpan)
                deadline.CancelAfter(_options.Timeout);
            try
            {
                await BothOrFirstFailure(pumps, finished).WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await KillAsync(control, execId, pumps).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                throw new SandboxTimeoutException(
                    $"Command '{string.Join(' ', argv)}' in sandbox '{_instance}' did not finish within {_options.Timeout.TotalSeconds:0.###} s; it was killed with every process it started. " +
                    "Raise CommandOptions.Timeout (--timeout) if it needs longer.");
            }
            var done = await finished.ConfigureAwait(false);
            // The command has exited, so what it did not read of stdin no longer matters; a source that never ends
            // (an idle pipe, a terminal-less CI's open stdin) must not hold the result back.
            await feedStop.CancelAsync().ConfigureAwait(false);
            _ = IgnoreFailures(feed);
            var exitCode = ReturnCode(done);
            if (exitCode is null)
                throw IncusErrorMapper.Map(500, done.Err, context);
            if (!done.Succeeded && done.Err.Contains("not found", StringComparison.OrdinalIgnoreCase) && _stderr.Bytes.Length == 0)
                _stderr.Append(Encoding.UTF8.GetBytes($"{argv[0]}: command not found\n"));
            return new ExecResult
            {
                Command = argv,
                ExitCode = exitCode.Value,
                StdoutBytes = _stdout.Bytes,
                StderrBytes = _stderr.Bytes,
                Duration = stopwatch.Elapsed,
                Truncated = _stdout.Truncated || _stderr.Truncated,
            };
        }
        finally
        {
            // A daemon that stopped answering kills the command itself once it resumes: its control connection is gone.
            control?.Dispose();
            foreach (var stream in streams)
                stream.Dispose();
            await waitStop.CancelAsync().ConfigureAwait(false);
            await IgnoreFailures(finished).ConfigureAwait(false);
        }
    }

    // Both ends, but the first failure at once: a wait round the daemon leaves unanswered fails while the streams still hang.
    private static async Task BothOrFirstFailure(Task first, Task second)
    {
        var done = await Task.WhenAny(first, second).ConfigureAwait(false);
        await done.ConfigureAwait(false);
        await (done == first ? second : first).ConfigureAwait(false);
    }

    /// <summary>Asks for the command and attaches its websockets: control, stdin, stdout, stderr.</summary>
    /// <remarks>
    /// The daemon gives up on websockets that are not all attached within seconds, and a daemon busy starting a
    /// container can stall that long; the command has not started then (it needs all three streams), so asking again
    /// is safe.
    /// </remarks>
    private async Task<(Operation Operation, ClientWebSocket? Control, ClientWebSocket[] Streams)> StartAsync(ExecPost body, IncusErrorContext context, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await _client.RequestAsync(HttpMethod.Post, _client.Scoped(InstancesApi.PathOf(_instance) + "/exec"),
                IncusTransport.Json(body, IncusJsonContext.Default.ExecPost), context, cancellationToken).ConfigureAwait(false);
            var operation = response.Metadata.Deserialize(IncusJsonContext.Default.Operation)!;
            try
            {
                var (control, streams) = await ConnectAllAsync(operation, cancellationToken).ConfigureAwait(false);
                return (operation, control, streams);
            }
            catch (WebSocketRefusedException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.InternalServerError && attempt < 3)
            {
                // The operation is gone (404), or gave up on the streams while we attached them (500): it timed out
                // waiting for us, before the command started. Ask again.
            }
        }
    }

    // The daemon starts the command once 0, 1 and 2 are attached, without waiting for control, so all four are
    // connected at once to keep the start short. A command that ends before control is accepted takes its operation
    // with it and control is refused: that costs nothing but signals, and a kill has the exec-id sweep without them.
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

    private static int? ReturnCode(Operation operation) =>
        operation.Metadata.ValueKind == JsonValueKind.Object && operation.Metadata.TryGetProperty("return", out var r) && r.ValueKind == JsonValueKind.Number
            ? r.GetInt32()
            : null;

    private Task<ClientWebSocket> Connect(string operationId, JsonElement fds, string fd, CancellationToken cancellationToken) =>
        _client.Transport.ConnectWebSocketAsync($"/1.0/operations/{operationId}/websocket?secret={Uri.EscapeDataString(fds.GetProperty(fd).GetString()!)}", cancellationToken);

    // Receives are never cancelled: in .NET that aborts the socket. The daemon ends each stream with an
    // empty text frame and then drops the connection, which surfaces as a WebSocketException.
    private async Task PumpAsync(ClientWebSocket socket, CappedBuffer sink, OutputSource source, CancellationToken cancellationToken)
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
                sink.Append(buffer.AsSpan(0, received.Count));
                if (_options.OnOutput is { } onOutput && received.Count > 0)
                    await onOutput(new OutputChunk(source, buffer.AsMemory(0, received.Count)), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (WebSocketException)
        {
        }
    }

    private async Task FeedStdinAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        if (_options.Stdin is { } input)
        {
            var source = input.Open();
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                await socket.SendAsync(buffer.AsMemory(0, read), WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        // End-of-file for the command: an empty text frame.
        await socket.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
    }

    // Keeps a receive pending so pings are answered and a dropped connection is noticed.
    private static async Task DrainAsync(ClientWebSocket socket)
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

    /// <summary>
    /// SIGTERM to the command, a moment to end cleanly, then SIGKILL to every process that carries its exec id:
    /// children outlive a shell that was told to stop, so the sweep always runs.
    /// </summary>
    private async Task KillAsync(ClientWebSocket? control, string execId, Task pumps)
    {
        using var bound = new CancellationTokenSource(TermGrace + KillGrace + TimeSpan.FromSeconds(5));
        await IgnoreFailures(SendSignalAsync(control, 15, bound.Token)).ConfigureAwait(false);
        await Finishes(pumps, TermGrace).ConfigureAwait(false);
        await IgnoreFailures(KillByExecIdAsync(execId, bound.Token)).ConfigureAwait(false);
        await IgnoreFailures(SendSignalAsync(control, 9, bound.Token)).ConfigureAwait(false);
        await Finishes(pumps, KillGrace).ConfigureAwait(false);
    }

    private static Task SendSignalAsync(ClientWebSocket? control, int signal, CancellationToken cancellationToken) =>
        control is null ? Task.CompletedTask : control.SendAsync(Encoding.UTF8.GetBytes($$"""{"command":"signal","signal":{{signal}}}""").AsMemory(), WebSocketMessageType.Text, true, cancellationToken).AsTask();

    // A second, fire-and-forget exec: the id is passed as an argument, never spliced into the script.
    private Task KillByExecIdAsync(string execId, CancellationToken cancellationToken)
    {
        const string Script = "for p in /proc/[0-9]*; do grep -q \"" + ExecIdVariable + "=$1\" \"$p/environ\" 2>/dev/null && kill -9 \"${p#/proc/}\" 2>/dev/null; done; exit 0";
        var body = new ExecPost { Command = ["sh", "-c", Script, "isb-kill", execId] };
        return _client.RunOperationAsync(HttpMethod.Post, _client.Scoped(InstancesApi.PathOf(_instance) + "/exec"),
            IncusTransport.Json(body, IncusJsonContext.Default.ExecPost),
            _client.Instances.Context($"Killing a timed-out command in sandbox '{_instance}'", _instance), cancellationToken);
    }

    private static async Task<bool> Finishes(Task task, TimeSpan within)
    {
        try
        {
            await task.WaitAsync(within).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async Task IgnoreFailures(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or IncusTestKitException or ObjectDisposedException)
        {
            // The command may have ended and its sockets closed already.
        }
    }
}
