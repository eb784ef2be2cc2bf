namespace IncusTestKit.Exec;

/// <summary>
/// How a process gets started in a sandbox and talked to: the daemon's exec websockets (<see cref="DaemonExecChannel"/>)
/// or the in-sandbox agent (<see cref="AgentExecChannel"/>). It only runs a process; what a command means (the
/// containment wrapper, timeouts, the kill, output limits) is <see cref="ContainedExec"/>'s, the same on every channel.
/// </summary>
internal interface IExecChannel
{
    /// <summary>What <see cref="Sandboxes.SandboxInfo"/> and the logs call it.</summary>
    ExecChannel Kind { get; }

    /// <summary>
    /// The sandbox's cgroup2 root when the channel starts each command in a group of its own itself
    /// (<see cref="ExecStart.Group"/>), so no wrapper runs before the command; null otherwise.
    /// </summary>
    string? CgroupRoot { get; }

    /// <summary>Starts a process; its output goes to <paramref name="onOutput"/>, in order per stream.</summary>
    /// <param name="start">What to run, as whom, where.</param>
    /// <param name="onOutput">Called with each piece of output as it arrives; the memory is only valid during the call.</param>
    /// <param name="onRequested">Called once the channel has the request, so work that must run beside the process (the
    /// adoption of a non-root command) starts without waiting for the whole start.</param>
    /// <param name="what">Names the command in errors.</param>
    /// <param name="cancellationToken">Cancels the start; once the process may be running, the start completes so it can be killed.</param>
    Task<IExecProcess> StartAsync(ExecStart start, Func<OutputSource, ReadOnlyMemory<byte>, ValueTask> onOutput, Action onRequested,
        string what, CancellationToken cancellationToken);
}

/// <summary>
/// What to run: argv exactly as given, as uid/gid, in a working directory, with variables added to the sandbox's own;
/// <paramref name="Group"/>, the cgroup to start it in (see <see cref="IExecChannel.CgroupRoot"/>): the program is
/// then looked up as a shell would, and one that is missing or not executable fails the start with
/// <see cref="ProgramNotRunException"/>.
/// </summary>
internal sealed record ExecStart(IReadOnlyList<string> Argv, uint Uid, uint Gid, string WorkingDirectory, Dictionary<string, string> Environment, string? Group = null);

/// <summary>A process started through an <see cref="IExecChannel"/>. Disposing it lets go of it (it is not killed).</summary>
internal interface IExecProcess : IAsyncDisposable
{
    /// <summary>Completes when both output streams have ended (every output call has returned).</summary>
    Task Output { get; }

    /// <summary>The exit code (128+N for a signal N); faults with a typed error when the channel or the daemon fails.</summary>
    Task<int> Exited { get; }

    /// <summary>Sends bytes to its stdin.</summary>
    Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Ends its stdin.</summary>
    Task EndStdinAsync(CancellationToken cancellationToken);

    /// <summary>Sends a signal to the process (not to its children); does nothing when it can no longer be reached.</summary>
    Task SignalAsync(int signal, CancellationToken cancellationToken);
}

/// <summary>A contained command's program was not run: it is not there (<paramref name="notFound"/>), or may not be executed.</summary>
internal sealed class ProgramNotRunException(bool notFound) : Exception(notFound ? "command not found" : "permission denied")
{
    public bool NotFound { get; } = notFound;
}
