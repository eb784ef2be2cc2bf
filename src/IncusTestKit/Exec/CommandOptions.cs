namespace IncusTestKit.Exec;

/// <summary>How to run a command in a sandbox. <c>new CommandOptions()</c> runs as root in <c>/</c> with a 30 s timeout.</summary>
public sealed record CommandOptions
{
    /// <summary>The default for <see cref="Timeout"/>: 30 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default for <see cref="OutputLimit"/>: 64 MiB per stream.</summary>
    public const long DefaultOutputLimit = 64L * 1024 * 1024;

    /// <summary>The working directory (absolute). Default: <c>/</c>.</summary>
    public string WorkingDirectory { get; init; } = "/";

    /// <summary>Environment variables added to the sandbox's own (PATH, LANG, HOME...).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The user to run as: a name from the sandbox's <c>/etc/passwd</c> or a numeric uid. Default: root.</summary>
    public string? User { get; init; }

    /// <summary>How long the command may run; it is killed, with its children, when this passes.
    /// Default: 30 seconds. <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no limit.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>What the command reads on standard input; null for none (it sees end-of-file at once).</summary>
    public CommandInput? Stdin { get; init; }

    /// <summary>The most bytes kept of stdout and of stderr each; the rest is read and dropped, and the
    /// result says it was truncated. Default: 64 MiB.</summary>
    public long OutputLimit { get; init; } = DefaultOutputLimit;

    /// <summary>Called with each piece of output as it arrives, for live display. Calls come in order per stream.</summary>
    public Func<OutputChunk, CancellationToken, ValueTask>? OnOutput { get; init; }
}
