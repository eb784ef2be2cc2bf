using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using IncusTestKit.Errors;

namespace IncusTestKit.Exec;

/// <summary>
/// What running a command means, on whichever <see cref="IExecChannel"/> carries it: streaming, stdin, output limits,
/// and containment. A command is held by <see cref="Containment"/>; on timeout or cancellation it and everything it
/// started are killed, and the error says exactly what was killed.
/// </summary>
internal sealed class ContainedExec
{
    private static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);

    // The in-sandbox scripts run after a timeout or cancellation too, so each has its own bound: a start on a busy
    // daemon, and the scripts' own loops (the adoption waits up to about 5 s for the command, the sweep about 4 s).
    private static readonly TimeSpan ScriptBound = TimeSpan.FromSeconds(20);

    private readonly IExecChannel _channel;
    private readonly string _instance;
    private readonly CommandOptions _options;
    private readonly string? _script;
    private readonly CappedBuffer _stdout;
    private readonly CappedBuffer _stderr;

    // The start of each stream, kept whatever the output limit, to recognise the wrapper's "not found" answer.
    private readonly CappedBuffer _stdoutHead = new(1);
    private readonly CappedBuffer _stderrHead = new(4096);

    /// <summary>A caller's command: contained, and killed with everything it started when it times out or is cancelled.</summary>
    public ContainedExec(IExecChannel channel, string instance, CommandOptions options)
        : this(channel, instance, options, script: null)
    {
    }

    // script: one of the kit's own sweep scripts, named for errors; it runs as given, and is only SIGKILLed when its
    // bound passes (a sweep of the sweep would never end).
    private ContainedExec(IExecChannel channel, string instance, CommandOptions options, string? script)
    {
        _channel = channel;
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
        // A channel that starts commands in their cgroup itself runs them as they are; otherwise the wrapper holds them.
        var group = contained && _channel.CgroupRoot is { } root ? Containment.GroupOf(root, execId) : null;
        var start = new ExecStart(contained && group is null ? Containment.Wrap(argv, execId, asRoot: uid == 0, environment) : argv, uid, gid,
            _options.WorkingDirectory, environment, group);
        var what = $"'{_script ?? string.Join(' ', argv)}' in sandbox '{_instance}'";
        // A wrapped non-root command waits, stopped, for a root exec to move it into its cgroup; that exec starts as
        // soon as the channel has the command, and looks for it until it appears.
        Task<bool>? adopting = null;
        IExecProcess process;
        try
        {
            process = await _channel.StartAsync(start, (source, data) => OnOutputAsync(source, data, cancellationToken),
                () => adopting ??= contained && group is null && uid != 0 ? AdoptAsync(execId) : null, what, cancellationToken).ConfigureAwait(false);
        }
        catch (ProgramNotRunException e)
        {
            return await NotRunAsync(argv, e.NotFound, stopwatch, cancellationToken).ConfigureAwait(false);
        }
        await using var held = process.ConfigureAwait(false);
        var adopted = adopting is null ? Task.CompletedTask : LetGoUnlessAdoptedAsync(adopting, process);
        // Not disposed: the feed may still hold its token after this method returns (see below).
        var feedStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var feed = FeedStdinAsync(process, feedStop.Token);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_options.Timeout != Timeout.InfiniteTimeSpan)
            deadline.CancelAfter(_options.Timeout);
        try
        {
            await BothOrFirstFailure(process.Output, process.Exited).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!contained)
        {
            using var bound = new CancellationTokenSource(KillGrace);
            await IgnoreFailures(process.SignalAsync(9, bound.Token)).ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException)
        {
            var report = await KillAsync(process, execId, adopted).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException(report.Describe($"Command {what} was cancelled"), cancellationToken);
            throw new SandboxTimeoutException(
                report.Describe($"Command {what} did not finish within {_options.Timeout.TotalSeconds:0.###} s") +
                " Raise CommandOptions.Timeout (--timeout) if it needs longer.");
        }
        var exitCode = await process.Exited.ConfigureAwait(false);
        // The command has exited, so what it did not read of stdin no longer matters; a source that never ends
        // (an idle pipe, a terminal-less CI's open stdin) must not hold the result back.
        await feedStop.CancelAsync().ConfigureAwait(false);
        _ = IgnoreFailures(feed);
        // Only the wrapper can tell a missing program from one that exits with 127 (see Containment.NotFoundStatus).
        var notFound = contained && exitCode == Containment.NotFoundStatus && _stdoutHead.Bytes.Length == 0 && !_stderrHead.Truncated
            && _stderrHead.Bytes.Span.SequenceEqual(Encoding.UTF8.GetBytes(Containment.NotFoundLine(argv[0])));
        return Result(argv, notFound ? Containment.NotFoundExitCode : exitCode, notFound, stopwatch);
    }

    // What the wrapper says and ends with when the program is missing or may not be executed, for a channel that found
    // that out before starting anything: the same result, and the same line to the output callback.
    private async Task<ExecResult> NotRunAsync(IReadOnlyList<string> argv, bool notFound, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var line = notFound ? Containment.NotFoundLine(argv[0]) : Containment.NotExecutableLine(argv[0]);
        await OnOutputAsync(OutputSource.Stderr, Encoding.UTF8.GetBytes(line), cancellationToken).ConfigureAwait(false);
        return Result(argv, notFound ? Containment.NotFoundExitCode : Containment.NotExecutableExitCode, notFound, stopwatch);
    }

    private ExecResult Result(IReadOnlyList<string> argv, int exitCode, bool notFound, Stopwatch stopwatch) => new()
    {
        Command = argv,
        ExitCode = exitCode,
        CommandNotFound = notFound,
        StdoutBytes = _stdout.Bytes,
        StderrBytes = _stderr.Bytes,
        Duration = stopwatch.Elapsed,
        Truncated = _stdout.Truncated || _stderr.Truncated,
    };

    /// <summary>The error for a working directory that does not exist: the daemon would run the command in / instead.</summary>
    public static PathNotFoundException MissingWorkingDirectory(string path, string instance) =>
        new($"The working directory '{path}' does not exist in sandbox '{instance}'.");

    // Both ends, but the first failure at once: a wait round the daemon leaves unanswered fails while the streams still hang.
    private static async Task BothOrFirstFailure(Task first, Task second)
    {
        var done = await Task.WhenAny(first, second).ConfigureAwait(false);
        await done.ConfigureAwait(false);
        await (done == first ? second : first).ConfigureAwait(false);
    }

    private async ValueTask OnOutputAsync(OutputSource source, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var (sink, head) = source == OutputSource.Stdout ? (_stdout, _stdoutHead) : (_stderr, _stderrHead);
        sink.Append(data.Span);
        head.Append(data.Span);
        if (_options.OnOutput is { } onOutput)
            await onOutput(new OutputChunk(source, data), cancellationToken).ConfigureAwait(false);
    }

    private async Task FeedStdinAsync(IExecProcess process, CancellationToken cancellationToken)
    {
        if (_options.Stdin is { } input)
        {
            var source = input.Open();
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                await process.WriteStdinAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
        await process.EndStdinAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// SIGTERM to the command and a moment to end cleanly, then the sweep, which kills whatever is left of it (children
    /// outlive a shell that was told to stop, so it always runs) and reports what it killed.
    /// </summary>
    private async Task<KillReport> KillAsync(IExecProcess process, string execId, Task adopted)
    {
        // An adoption still under way could continue the command after the sweep; it ends within its own bound.
        await adopted.ConfigureAwait(false);
        using var bound = new CancellationTokenSource(TermGrace + KillGrace + TimeSpan.FromSeconds(5));
        await IgnoreFailures(process.SignalAsync(15, bound.Token)).ConfigureAwait(false);
        await Finishes(process.Output, TermGrace).ConfigureAwait(false);
        var report = await SweepAsync(execId).ConfigureAwait(false);
        await IgnoreFailures(process.SignalAsync(9, bound.Token)).ConfigureAwait(false);
        await Finishes(process.Output, KillGrace).ConfigureAwait(false);
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
    private static async Task LetGoUnlessAdoptedAsync(Task<bool> adopting, IExecProcess process)
    {
        if (await adopting.ConfigureAwait(false))
            return;
        using var bound = new CancellationTokenSource(KillGrace);
        await IgnoreFailures(process.SignalAsync(SigCont, bound.Token)).ConfigureAwait(false);
    }

    private const int SigCont = 18;

    // One of Containment's scripts, as root, through this same exec path; the id is passed as an argument, never
    // spliced into the script.
    private Task<ExecResult> RunScriptAsync(string name, IReadOnlyList<string> argv) => RunScriptAsync(_channel, _instance, name, argv);

    /// <summary>One of <see cref="Containment"/>'s scripts, as root, within its bound; only SIGKILLed when the bound passes.</summary>
    public static async Task<ExecResult> RunScriptAsync(IExecChannel channel, string instance, string name, IReadOnlyList<string> argv)
    {
        using var bound = new CancellationTokenSource(ScriptBound);
        var options = new CommandOptions { Timeout = Timeout.InfiniteTimeSpan, OutputLimit = 64 * 1024 };
        return await new ContainedExec(channel, instance, options, name).RunAsync(argv, 0, 0, [], bound.Token).ConfigureAwait(false);
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
        catch (Exception e) when (e is IncusTestKitException or WebSocketException or IOException)
        {
            return true; // The channel broke: nothing more will come.
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
