using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Threading.Channels;
using IncusTestKit.AgentProtocol;
using IncusTestKit.Client;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using Microsoft.Extensions.Logging;

namespace IncusTestKit.Exec;

/// <summary>
/// Commands through IncusTestKit's exec agent: one exec operation of the daemon runs the agent, and its stdin and stdout
/// carry every command as frames (<see cref="AgentFrames"/>), so a command costs one round trip on a stream that is
/// already open. It rides on <see cref="DaemonExecChannel"/>, so it works wherever that does (Unix socket or TLS).
/// </summary>
/// <remarks>
/// Everything the agent sends is the sandbox's to forge: its processes can kill, stop or replace the agent, or write
/// into its stdout. So nothing it sends reaches the caller but a command's own output and exit code; a frame that is
/// not the protocol, an agent that exits, and an agent that leaves pings unanswered (<see cref="SilenceBound"/>) break
/// the channel, which fails every command on it with <see cref="ExecAgentException"/>. The agent's stderr is dropped.
/// </remarks>
internal sealed class AgentExecChannel : IExecChannel, IAsyncDisposable
{
    private static readonly TimeSpan HelloBound = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SilenceBound = TimeSpan.FromSeconds(10);

    private readonly string _instance;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, Process> _processes = new();
    private readonly TaskCompletionSource _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private IExecProcess? _agent;
    private byte[] _pending = new byte[AgentFrames.HeaderSize + AgentFrames.ChunkSize];
    private int _pendingCount;
    private int _nextId;
    private long _lastHeard = Stopwatch.GetTimestamp();
    private ExecAgentException? _failure;

    private AgentExecChannel(string instance, ILogger logger)
    {
        _instance = instance;
        _logger = logger;
    }

    public ExecChannel Kind => ExecChannel.Agent;

    public string? CgroupRoot { get; private set; }

    /// <summary>Whether the channel broke (or was closed): commands fail on it, and the sandbox goes on without it.</summary>
    public bool IsBroken => Volatile.Read(ref _failure) is not null;

    /// <summary>Pushes the agent into the sandbox and starts it.</summary>
    /// <exception cref="AgentUnavailableException">This sandbox cannot run the agent (the reason says why).</exception>
    /// <exception cref="IncusTestKitException">The daemon failed (the sandbox is not running, the daemon is unreachable...).</exception>
    public static Task<AgentExecChannel> StartAsync(IncusClient client, string instance, ILogger logger, CancellationToken cancellationToken) =>
        StartAsync(client, instance, logger,
            AgentBinary.Get() ?? throw new AgentUnavailableException("this build of IncusTestKit carries no exec agent (it is built on linux-x64 only)"),
            cancellationToken);

    /// <summary>Starts <paramref name="binary"/> as the agent: the real one, or in tests an impostor, as the sandbox could make one.</summary>
    internal static async Task<AgentExecChannel> StartAsync(IncusClient client, string instance, ILogger logger, byte[] binary, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        // A name of its own per start: a binary that runs cannot be overwritten, and another process may run one here.
        var path = $"/run/isb-agent-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        try
        {
            await client.Files.WriteAsync(instance, path, new ByteArrayContent(binary), 0, 0, Convert.ToInt32("700", 8), cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException e) when (e is not (IncusUnavailableException or SandboxNotRunningException or SandboxNotFoundException))
        {
            throw new AgentUnavailableException($"the agent could not be copied into it ({e.Message})");
        }
        var channel = new AgentExecChannel(instance, logger);
        try
        {
            channel._agent = await new DaemonExecChannel(client, instance).StartAsync(new ExecStart([path], 0, 0, "/", new Dictionary<string, string>()),
                channel.OnAgentOutputAsync, () => { }, "the exec agent", cancellationToken).ConfigureAwait(false);
            var agent = channel._agent;
            var first = await Task.WhenAny(channel._hello.Task, agent.Exited, Task.Delay(HelloBound, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (first != channel._hello.Task || !channel._hello.Task.IsCompletedSuccessfully)
            {
                // It never ran (/run mounted noexec: 126; not x86-64: the exec fails), or something else answered.
                var reason = first == agent.Exited && agent.Exited.IsCompletedSuccessfully
                    ? $"the sandbox cannot run it (it exited with code {agent.Exited.Result}; the agent is a static x86-64 Linux program run from /run, which must not be mounted noexec)"
                    : first == channel._hello.Task || first == agent.Exited ? "it did not start as the agent (its first answer was not the agent's greeting)"
                    : $"it did not answer within {HelloBound.TotalSeconds:0} s";
                throw new AgentUnavailableException(reason);
            }
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            // The agent removes its binary once it runs; one that never ran leaves it.
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await client.Files.DeleteAsync(instance, path, bound.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IncusTestKitException or OperationCanceledException)
            {
            }
            throw;
        }
        _ = channel.WatchAsync();
        // Where commands' cgroups go, so the agent starts each command in its own; without it, the wrapper joins one.
        try
        {
            var root = await ContainedExec.RunScriptAsync(channel, instance, "finding the cgroup root", Containment.RootArgv()).ConfigureAwait(false);
            channel.CgroupRoot = root.ExitCode == 0 ? Containment.ParseRoot(root.Stdout) : null;
        }
        catch (Exception e) when (e is IncusTestKitException or OperationCanceledException)
        {
            // Commands still get their cgroup from the wrapper; a broken channel shows on the first command.
        }
        Log.AgentStarted(logger, instance, Log.Milliseconds(Stopwatch.GetElapsedTime(started)));
        return channel;
    }

    public async Task<IExecProcess> StartAsync(ExecStart start, Func<OutputSource, ReadOnlyMemory<byte>, ValueTask> onOutput, Action onRequested,
        string what, CancellationToken cancellationToken)
    {
        var id = (uint)Interlocked.Increment(ref _nextId);
        var process = new Process(this, id, start.WorkingDirectory, onOutput);
        _processes[id] = process;
        try
        {
            // Checked once the process is listed: a break after this fails it.
            if (Volatile.Read(ref _failure) is { } failure)
                throw failure;
            Volatile.Write(ref _lastHeard, Stopwatch.GetTimestamp());
            var request = new StartRequest(start.Uid, start.Gid, start.WorkingDirectory, start.Group ?? "", start.Argv, [.. start.Environment]).Encode();
            if (request.Length > AgentFrames.MaxPayload)
                throw new AgentDeclinedException($"a command line and environment over {AgentFrames.MaxPayload / (1024 * 1024)} MiB");
            await SendAsync(AgentFrames.Start, id, request, cancellationToken).ConfigureAwait(false);
            // Not cancelled: the command may be running, and must be held so a cancellation can kill it. The wait is
            // bounded by the channel's own watch (an agent that stops answering breaks it).
            await process.Started.ConfigureAwait(false);
        }
        catch
        {
            _processes.TryRemove(id, out _);
            throw;
        }
        onRequested();
        return process;
    }

    private async Task SendAsync(byte kind, uint id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var frame = new byte[AgentFrames.HeaderSize + payload.Length];
        AgentFrames.WriteHeader(frame, kind, id, payload.Length);
        payload.CopyTo(frame.AsMemory(AgentFrames.HeaderSize));
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteLockedAsync(frame).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    // Never cancelled: a cancelled websocket send aborts the socket that every command shares. A daemon that stops
    // reading is noticed by the watch, which closes the socket and so ends the send.
    private async Task WriteLockedAsync(byte[] frame)
    {
        if (Volatile.Read(ref _failure) is { } failure)
            throw failure;
        try
        {
            await _agent!.WriteStdinAsync(frame, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            Break("could not be written to");
            throw Volatile.Read(ref _failure)!;
        }
    }

    /// <summary>
    /// The agent's output: frames, cut anywhere by the transport. Its stderr is its own business. It never waits on a
    /// caller: each command's output goes to that command's own delivery (<see cref="Process"/>), so a slow callback
    /// holds up neither the other commands nor the pongs that show the agent is alive.
    /// </summary>
    private ValueTask OnAgentOutputAsync(OutputSource source, ReadOnlyMemory<byte> data)
    {
        if (source == OutputSource.Stderr || IsBroken)
            return ValueTask.CompletedTask;
        Volatile.Write(ref _lastHeard, Stopwatch.GetTimestamp());
        if (_pending.Length - _pendingCount < data.Length)
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingCount + data.Length));
        data.CopyTo(_pending.AsMemory(_pendingCount));
        _pendingCount += data.Length;
        var offset = 0;
        while (_pendingCount - offset >= AgentFrames.HeaderSize)
        {
            if (!AgentFrames.TryReadHeader(_pending.AsSpan(offset), out var kind, out var id, out var length))
            {
                Break("wrote something that is not its protocol (a frame of impossible length)");
                return ValueTask.CompletedTask;
            }
            if (_pendingCount - offset - AgentFrames.HeaderSize < length)
                break;
            var payload = _pending.AsMemory(offset + AgentFrames.HeaderSize, length);
            offset += AgentFrames.HeaderSize + length;
            if (!Dispatch(kind, id, payload))
            {
                Break("wrote something that is not its protocol");
                return ValueTask.CompletedTask;
            }
        }
        Buffer.BlockCopy(_pending, offset, _pending, 0, _pendingCount - offset);
        _pendingCount -= offset;
        // A burst of large frames grew the buffer; it goes back to its usual size.
        if (_pending.Length > 4 * (AgentFrames.HeaderSize + AgentFrames.ChunkSize) && _pendingCount <= AgentFrames.HeaderSize + AgentFrames.ChunkSize)
            Array.Resize(ref _pending, AgentFrames.HeaderSize + AgentFrames.ChunkSize);
        return ValueTask.CompletedTask;
    }

    /// <summary>One frame; false when it cannot come from the agent (the channel is then broken).</summary>
    private bool Dispatch(byte kind, uint id, ReadOnlyMemory<byte> payload)
    {
        if (kind == AgentFrames.Hello)
            return id == 0 && payload.Span.SequenceEqual(AgentFrames.Magic) && _hello.TrySetResult();
        if (!_hello.Task.IsCompletedSuccessfully)
            return false;
        if (kind == AgentFrames.Pong)
            return id == 0 && payload.IsEmpty;
        if (!_processes.TryGetValue(id, out var process))
            return false;
        switch (kind)
        {
            case AgentFrames.Started:
                return payload.Length == 4 && process.OnStarted();
            case AgentFrames.StartFailed when payload.Length == 4:
                _processes.TryRemove(id, out _);
                var error = (StartError)BinaryPrimitives.ReadInt32LittleEndian(payload.Span);
                // Groups cannot be joined here after all: the next commands are held by the wrapper instead.
                if (error == StartError.CannotContain)
                    CgroupRoot = null;
                return process.OnStartFailed(error, _instance);
            case AgentFrames.Stdout or AgentFrames.Stderr when process.HasStarted:
                return process.OnOutput(kind == AgentFrames.Stdout ? OutputSource.Stdout : OutputSource.Stderr, payload);
            case AgentFrames.StdinAck when payload.Length == 4 && process.HasStarted:
                return process.OnStdinAck(BinaryPrimitives.ReadInt32LittleEndian(payload.Span));
            case AgentFrames.Exit when payload.Length == 4 && process.HasStarted:
                _processes.TryRemove(id, out _);
                process.OnExit(BinaryPrimitives.ReadInt32LittleEndian(payload.Span));
                return true;
            default:
                return false;
        }
    }

    /// <summary>Breaks the channel when the agent exits, its stream ends, or it stops answering pings while commands run.</summary>
    private async Task WatchAsync()
    {
        var agent = _agent!;
        var ended = Task.WhenAny(agent.Exited, agent.Output);
        using var timer = new PeriodicTimer(PingEvery);
        try
        {
            while (true)
            {
                var tick = timer.WaitForNextTickAsync(_stop.Token).AsTask();
                if (await Task.WhenAny(tick, ended).ConfigureAwait(false) == ended)
                {
                    Break("exited");
                    return;
                }
                if (!await tick.ConfigureAwait(false))
                    return;
                if (_processes.IsEmpty)
                    continue;
                // A slow caller's callback holds up only its own command's delivery, never the agent's answers.
                if (Stopwatch.GetElapsedTime(Volatile.Read(ref _lastHeard)) > SilenceBound)
                {
                    Break($"did not answer for {SilenceBound.TotalSeconds:0} s (it was stopped, or the daemon stalled)");
                    return;
                }
                // Skipped while a send is under way: that send, or the silence, tells.
                if (await _sendLock.WaitAsync(TimeSpan.Zero).ConfigureAwait(false))
                {
                    try
                    {
                        var ping = new byte[AgentFrames.HeaderSize];
                        AgentFrames.WriteHeader(ping, AgentFrames.Ping, 0, 0);
                        await WriteLockedAsync(ping).ConfigureAwait(false);
                    }
                    catch (ExecAgentException)
                    {
                        return;
                    }
                    finally
                    {
                        _sendLock.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Fails every command on the channel with one error, and stops the agent (its commands die with its stdin).</summary>
    private void Break(string reason, bool closed = false)
    {
        var failure = new ExecAgentException(closed
            ? $"The exec agent's channel to sandbox '{_instance}' was closed with its sandbox handle."
            : $"The exec agent in sandbox '{_instance}' {reason}: the command's result is unknown, and what it started may still run. " +
              "Something in the sandbox may have killed, stopped or replaced the agent; its next commands use a new agent (ExecChannel.Agent) or the daemon (ExecChannel.Auto).");
        if (Interlocked.CompareExchange(ref _failure, failure, null) is not null)
            return;
        if (!closed)
            Log.AgentBroken(_logger, _instance, reason);
        _hello.TrySetException(failure);
        foreach (var process in _processes.Values)
            process.Fail(failure);
        _processes.Clear();
        _stop.Cancel();
        // Off this call's stack: it may be the agent's own output pump, which the dispose ends.
        if (_agent is { } agent)
            _ = Task.Run(async () =>
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await agent.SignalAsync(9, bound.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
                {
                }
                await agent.DisposeAsync().ConfigureAwait(false);
            });
    }

    /// <summary>Closes the channel: the agent sees its stdin end, kills what still runs and exits.</summary>
    public void Close() => Break("", closed: true);

    /// <inheritdoc cref="Close"/>
    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// One command on the channel. Its output is queued as it arrives and handed to the caller by a task of its own, in
    /// order; the agent sends no more than <see cref="AgentFrames.OutputWindow"/> bytes ahead of that delivery, so the
    /// queue stays bounded and a slow caller slows this command only. Its stdin goes out within
    /// <see cref="AgentFrames.StdinWindow"/>: a write waits while the command does not read.
    /// </summary>
    private sealed class Process(AgentExecChannel channel, uint id, string workingDirectory, Func<OutputSource, ReadOnlyMemory<byte>, ValueTask> onOutput) : IExecProcess
    {
        // Delivered output is acknowledged a quarter window at a time: few frames, and the agent (whose two pumps may
        // each hold a chunk of credit in a pending read) never runs dry while everything it sent has been delivered.
        private const int AckEvery = AgentFrames.OutputWindow / 4;

        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _output = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Channel<(OutputSource Source, byte[] Data)> _queue =
            Channel.CreateUnbounded<(OutputSource, byte[])>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly FlowWindow _outputHeld = new(AgentFrames.OutputWindow);
        private readonly FlowWindow _stdin = new(AgentFrames.StdinWindow);
        private volatile bool _detached;
        private int _exitCode;

        public Task Started => _started.Task;

        public bool HasStarted => _started.Task.IsCompletedSuccessfully;

        public Task Output => _output.Task;

        public Task<int> Exited => _exited.Task;

        public bool OnStarted()
        {
            if (!_started.TrySetResult())
                return false;
            _ = DeliverAsync();
            return true;
        }

        public bool OnStartFailed(StartError error, string instance) => _started.TrySetException(error switch
        {
            StartError.UnknownUser => new AgentDeclinedException("a uid without an entry in the sandbox's /etc/passwd"),
            StartError.CannotContain => new AgentDeclinedException("its cgroup could not be made or joined"),
            StartError.NotFound => new ProgramNotRunException(notFound: true),
            StartError.NotExecutable => new ProgramNotRunException(notFound: false),
            StartError.NoDirectory => ContainedExec.MissingWorkingDirectory(workingDirectory, instance),
            _ => new ExecAgentException($"The exec agent in sandbox '{instance}' could not start the command ({error}). Run it with ExecChannel.Daemon to see the daemon's error."),
        });

        /// <summary>Queues a piece of output; false when the agent sent past the window (it does not speak this protocol).</summary>
        public bool OnOutput(OutputSource source, ReadOnlyMemory<byte> data) =>
            _outputHeld.TryTake(data.Length) && _queue.Writer.TryWrite((source, data.ToArray()));

        /// <summary>The agent wrote stdin into the command's pipe; false when it acknowledges more than it was sent.</summary>
        public bool OnStdinAck(int count) => _stdin.Release(count);

        // After the output already queued: the caller sees the exit only once it has had all of it.
        public void OnExit(int exitCode)
        {
            _exitCode = exitCode;
            _stdin.Close();
            _queue.Writer.TryComplete();
        }

        public void Fail(Exception failure)
        {
            _started.TrySetException(failure);
            _output.TrySetException(failure);
            _exited.TrySetException(failure);
            _stdin.Close(failure);
            _queue.Writer.TryComplete();
        }

        private async Task DeliverAsync()
        {
            var unacknowledged = 0;
            await foreach (var (source, data) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                // Output of a command whose caller let go, or whose callback threw, is still taken, so the command runs on.
                if (!_detached && !_output.Task.IsCompleted)
                {
                    try
                    {
                        await onOutput(source, data).ConfigureAwait(false);
                    }
#pragma warning disable CA1031 // the caller's exception goes to the caller, through the command's output task
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        // A caller's callback that throws fails its own command, not the channel.
                        _detached = true;
                        _output.TrySetException(e);
                    }
                }
                unacknowledged += data.Length;
                if (unacknowledged < AckEvery)
                    continue;
                // Given back before the agent hears of it: what it sends next must fit.
                _outputHeld.Release(unacknowledged);
                var count = BitConverter.GetBytes(unacknowledged);
                unacknowledged = 0;
                try
                {
                    await channel.SendAsync(AgentFrames.OutputAck, id, count, CancellationToken.None).ConfigureAwait(false);
                }
                catch (ExecAgentException)
                {
                    // The channel broke, and failed the command with it.
                }
            }
            _output.TrySetResult();
            _exited.TrySetResult(_exitCode);
        }

        public async Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            while (!data.IsEmpty)
            {
                // Waits outside the channel's send lock: other commands send on meanwhile.
                var room = await _stdin.TakeAsync(Math.Min(data.Length, AgentFrames.ChunkSize), cancellationToken).ConfigureAwait(false);
                if (room == 0)
                    return; // It exited: what it did not read no longer matters.
                try
                {
                    await channel.SendAsync(AgentFrames.Stdin, id, data[..room], cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Cancelled before the send began: the credit was not used.
                    _stdin.Release(room);
                    throw;
                }
                data = data[room..];
            }
        }

        public Task EndStdinAsync(CancellationToken cancellationToken) =>
            channel.SendAsync(AgentFrames.StdinEnd, id, ReadOnlyMemory<byte>.Empty, cancellationToken);

        public Task SignalAsync(int signal, CancellationToken cancellationToken) =>
            channel.SendAsync(AgentFrames.Signal, id, BitConverter.GetBytes(signal), cancellationToken);

        public ValueTask DisposeAsync()
        {
            _detached = true;
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>The sandbox cannot run the exec agent; <see cref="Exception.Message"/> says why.</summary>
internal sealed class AgentUnavailableException(string reason) : Exception(reason);

/// <summary>The agent cannot run this one command (the reason says why); nothing ran, and the daemon runs it instead.</summary>
internal sealed class AgentDeclinedException(string reason) : Exception($"The exec agent cannot run this command ({reason}); the daemon runs it.");
