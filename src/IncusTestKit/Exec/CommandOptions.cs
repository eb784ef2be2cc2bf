namespace IncusTestKit.Exec;

/// <summary>How to run a command in a sandbox. <c>new CommandOptions()</c> runs as root in <c>/</c> with a 30 s timeout.</summary>
public sealed record CommandOptions
{
    /// <summary>The default for <see cref="Timeout"/>: 30 seconds.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(30);

    /// <summary>The default for <see cref="OutputLimit"/>: 64 MiB per stream.</summary>
    public static long DefaultOutputLimit { get; } = 64L * 1024 * 1024;

    /// <summary>The working directory (absolute). Default: <c>/</c>.</summary>
    public string WorkingDirectory { get; init; } = "/";

    /// <summary>Environment variables added to the sandbox's own (PATH, LANG, HOME...).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The user to run as: a name from the sandbox's <c>/etc/passwd</c> or a numeric uid. Default: root.</summary>
    public string? User { get; init; }

    /// <summary>
    /// How long the command may run. Default: 30 seconds. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no limit.
    /// </summary>
    /// <remarks>
    /// <para>When it passes (and when the call is cancelled) the command gets SIGTERM and a second to end, then everything
    /// left of it is killed, and <see cref="Errors.SandboxTimeoutException"/> (or the <see cref="OperationCanceledException"/>)
    /// says how many processes were killed and by which mechanism.</para>
    /// <para>Where the sandbox can have cgroup2 (any current kernel; the toolkit mounts it at <c>/run/isb/cgroup</c> when
    /// the sandbox has none), each command runs in a cgroup of its own. Every process it starts stays in that cgroup
    /// whatever it does with its parent, session, process group or environment (<c>env -i</c>, <c>setsid</c>,
    /// <c>nohup</c>, double forks, closed output streams, another user), and the kill empties the cgroup and checks
    /// that it is empty. Only a process running as root in the sandbox can move itself out of it.</para>
    /// <para>Where cgroup2 cannot be mounted, the kill takes the command, its descendants, its session and every process
    /// that still carries the <c>ISB_EXEC_ID</c> variable; a process that leaves the session, loses its parent and clears
    /// its environment survives, and the error says so.</para>
    /// <para>Destroying the sandbox is the only absolute kill.</para>
    /// </remarks>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>What the command reads on standard input; null for none (it sees end-of-file at once).</summary>
    public CommandInput? Stdin { get; init; }

    /// <summary>The most bytes kept of stdout and of stderr each; the rest is read and dropped, and the
    /// result says it was truncated. Default: 64 MiB.</summary>
    public long OutputLimit { get; init; } = DefaultOutputLimit;

    /// <summary>Called with each piece of output as it arrives, for live display. Calls come in order per stream.</summary>
    public Func<OutputChunk, CancellationToken, ValueTask>? OnOutput { get; init; }
}
