using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;

namespace IncusTestKit.Exec;

/// <summary>
/// One command over the daemon's exec websockets (stdin, stdout, stderr, control): streaming, stdin and signals,
/// with no CLI in between. A command is held by <see cref="Containment"/>; on timeout or cancellation it and
/// everything it started are killed, and the error says exactly what was killed.
/// </summary>
internal sealed class WebSocketExec
{
    private static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    // The in-sandbox scripts run after a timeout or cancellation too, so each has its own bound: a start on a busy
    // daemon, and the scripts' own loops (the adoption waits up to about 5 s for the command, the sweep about 4 s).
    private static readonly TimeSpan ScriptBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan AttachBound = TimeSpan.FromSeconds(30);

    private readonly IncusClient _client;
    private readonly string _instance;
    private readonly CommandOptions _options;
    private readonly string? _script;
    private readonly CappedBuffer _stdout;
    private readonly CappedBuffer _stderr;

    // The start of each stream, kept whatever the output limit, to recognise the wrapper's "not found" answer.
    private readonly CappedBuffer _stdoutHead = new(1);
    private readonly CappedBuffer _stderrHead = new(4096);

    /// <summary>A caller's command: contained, and killed with everything it started when it times out or is cancelled.</summary>
    public WebSocketExec(IncusClient client, string instance, CommandOptions options)
        : this(client, instance, options, script: null)
    {
    }

    // script: one of the kit's own sweep scripts, named for errors; it runs as given, and is only SIGKILLed when its
    // bound passes (a sweep of the sweep would never end).
    private WebSocketExec(IncusClient client, string instance, CommandOptions options, string? script)
    {
        _client = client;
        _instance = instance;
        _options = options;
        _script = script;
        _stdout = new CappedBuffer(options.OutputLimit);
        _stderr = new CappedBuffer(options.OutputLimit);
    }

    public async Task<ExecResult> RunAsync(IReadOnlyList<string> argv, uint uid, uint gid, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var execId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var contained = _script is null;
        if (contained)
            environment[Containment.ExecIdVariable] = execId;
        var body = new ExecPost
        {
            Command = contained ? Containment.Wrap(argv, execId, asRoot: uid == 0, environment) : argv,
            Environment = environment,
            Cwd = _options.WorkingDirectory,
            User = uid,
            Group = gid,
            WaitForWebsocket = true,
        };
        var what = $"'{_script ?? string.Join(' ', argv)}' in sandbox '{_instance}'";
        var context = _client.Instances.Context($"Running {what}", _instance);
        // A non-root command waits, stopped, for a root exec to move it into its cgroup; that exec starts as soon as
        // the daemon has the command, and looks for it until it appears.
        Task<bool>? adopting = null;
        var (operation, control, streams) = await StartAsync(body, context,
            () => adopting ??= contained && uid != 0 ? AdoptAsync(execId) : null, cancellationToken).ConfigureAwait(false);
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
            var adopted = adopting is null ? Task.CompletedTask : LetGoUnlessAdoptedAsync(adopting, control);
            var pumps = Task.WhenAll(
                PumpAsync(stdout, _stdout, _stdoutHead, OutputSource.Stdout, cancellationToken),
                PumpAsync(stderr, _stderr, _stderrHead, OutputSource.Stderr, cancellationToken));
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
            catch (OperationCanceledException) when (!contained)
            {
                using var bound = new CancellationTokenSource(KillGrace);
                await IgnoreFailures(SendSignalAsync(control, 9, bound.Token)).ConfigureAwait(false);
                throw;
            }
            catch (OperationCanceledException)
            {
                var report = await KillAsync(control, execId, adopted, pumps).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                    throw new OperationCanceledException(report.Describe($"Command {what} was cancelled"), cancellationToken);
                throw new SandboxTimeoutException(
                    report.Describe($"Command {what} did not finish within {_options.Timeout.TotalSeconds:0.###} s") +
                    " Raise CommandOptions.Timeout (--timeout) if it needs longer.");
            }
            var done = await finished.ConfigureAwait(false);
            // The command has exited, so what it did not read of stdin no longer matters; a source that never ends
            // (an idle pipe, a terminal-less CI's open stdin) must not hold the result back.
            await feedStop.CancelAsync().ConfigureAwait(false);
            _ = IgnoreFailures(feed);
            var exitCode = ReturnCode(done);
            if (exitCode is null)
                throw IncusErrorMapper.Map(500, done.Err, context);
            // Only the wrapper can tell a missing program from one that exits with 127 (see Containment.NotFoundStatus).
            var notFound = contained && exitCode == Containment.NotFoundStatus && _stdoutHead.Bytes.Length == 0 && !_stderrHead.Truncated
                && _stderrHead.Bytes.Span.SequenceEqual(Encoding.UTF8.GetBytes(Containment.NotFoundLine(argv[0])));
            return new ExecResult
            {
                Command = argv,
                ExitCode = notFound ? Containment.NotFoundExitCode : exitCode.Value,
                CommandNotFound = notFound,
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
    /// is safe. Once the daemon has the request, the caller's cancellation waits for the attach: a command that starts
    /// must be held, so a cancellation can kill it.
    /// </remarks>
    private async Task<(Operation Operation, ClientWebSocket? Control, ClientWebSocket[] Streams)> StartAsync(
        ExecPost body, IncusErrorContext context, Action onPosted, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await _client.RequestAsync(HttpMethod.Post, _client.Scoped(InstancesApi.PathOf(_instance) + "/exec"),
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
                Log.ExecAttachRetry(_client.Logger, context.What, (int)e.StatusCode, attempt + 1);
            }
            catch (OperationCanceledException e) when (bound.IsCancellationRequested)
            {
                throw _client.Transport.Unavailable(new TimeoutException($"it did not attach the command's streams within {AttachBound.TotalSeconds:0} s", e));
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

    private static int? ReturnCode(Operation operation) =>
        operation.Metadata.ValueKind == JsonValueKind.Object && operation.Metadata.TryGetProperty("return", out var r) && r.ValueKind == JsonValueKind.Number
            ? r.GetInt32()
            : null;

    private Task<ClientWebSocket> Connect(string operationId, JsonElement fds, string fd, CancellationToken cancellationToken) =>
        _client.Transport.ConnectWebSocketAsync($"/1.0/operations/{operationId}/websocket?secret={Uri.EscapeDataString(fds.GetProperty(fd).GetString()!)}", cancellationToken);

    // Receives are never cancelled: in .NET that aborts the socket. The daemon ends each stream with an
    // empty text frame and then drops the connection, which surfaces as a WebSocketException.
    private async Task PumpAsync(ClientWebSocket socket, CappedBuffer sink, CappedBuffer head, OutputSource source, CancellationToken cancellationToken)
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
                head.Append(buffer.AsSpan(0, received.Count));
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
    /// SIGTERM to the command and a moment to end cleanly, then the sweep, which kills whatever is left of it (children
    /// outlive a shell that was told to stop, so it always runs) and reports what it killed.
    /// </summary>
    private async Task<KillReport> KillAsync(ClientWebSocket? control, string execId, Task adopted, Task pumps)
    {
        // An adoption still under way could continue the command after the sweep; it ends within its own bound.
        await adopted.ConfigureAwait(false);
        using var bound = new CancellationTokenSource(TermGrace + KillGrace + TimeSpan.FromSeconds(5));
        await IgnoreFailures(SendSignalAsync(control, 15, bound.Token)).ConfigureAwait(false);
        await Finishes(pumps, TermGrace).ConfigureAwait(false);
        var report = await SweepAsync(execId).ConfigureAwait(false);
        await IgnoreFailures(SendSignalAsync(control, 9, bound.Token)).ConfigureAwait(false);
        await Finishes(pumps, KillGrace).ConfigureAwait(false);
        return report;
    }

    private async Task<KillReport> SweepAsync(string execId)
    {
        try
        {
            return KillReport.Parse((await RunScriptAsync("the kill sweep", Containment.KillArgv(execId)).ConfigureAwait(false)).Stdout);
        }
        catch (OperationCanceledException)
        {
            return KillReport.Failed($"the kill sweep did not finish within {ScriptBound.TotalSeconds:0} s");
        }
        catch (IncusTestKitException e)
        {
            return KillReport.Failed(e.Message);
        }
    }

    private async Task<bool> AdoptAsync(string execId)
    {
        try
        {
            return (await RunScriptAsync("moving the command into its cgroup", Containment.AdoptArgv(execId)).ConfigureAwait(false)).ExitCode == 0;
        }
        catch (Exception e) when (e is OperationCanceledException or IncusTestKitException)
        {
            return false;
        }
    }

    // When the adoption fails the command must not stay stopped: it is let go without a cgroup, and a kill falls back
    // to the sweep (which says so).
    private static async Task LetGoUnlessAdoptedAsync(Task<bool> adopting, ClientWebSocket? control)
    {
        if (await adopting.ConfigureAwait(false))
            return;
        using var bound = new CancellationTokenSource(KillGrace);
        await IgnoreFailures(SendSignalAsync(control, SigCont, bound.Token)).ConfigureAwait(false);
    }

    private const int SigCont = 18;

    private static Task SendSignalAsync(ClientWebSocket? control, int signal, CancellationToken cancellationToken) =>
        control is null ? Task.CompletedTask : control.SendAsync(Encoding.UTF8.GetBytes($$"""{"command":"signal","signal":{{signal}}}""").AsMemory(), WebSocketMessageType.Text, true, cancellationToken).AsTask();

    // One of Containment's scripts, as root, through this same exec path; the id is passed as an argument, never
    // spliced into the script.
    private async Task<ExecResult> RunScriptAsync(string name, IReadOnlyList<string> argv)
    {
        using var bound = new CancellationTokenSource(ScriptBound);
        var options = new CommandOptions { Timeout = Timeout.InfiniteTimeSpan, OutputLimit = 64 * 1024 };
        return await new WebSocketExec(_client, _instance, options, name).RunAsync(argv, 0, 0, [], bound.Token).ConfigureAwait(false);
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
