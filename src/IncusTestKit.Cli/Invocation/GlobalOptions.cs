using System.CommandLine;
using IncusTestKit.Cli.Output;
using IncusTestKit.Configuration;
using IncusTestKit.Sandboxes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IncusTestKit.Cli.Invocation;

/// <summary>
/// Options every verb takes (they are recursive: <c>dotnet isb --project p list</c> and <c>dotnet isb list --project p</c>
/// both work). What they leave unset comes from <c>INCUS_SOCKET</c>, <c>INCUS_REMOTE</c>, <c>INCUS_PROJECT</c>,
/// <c>ISB_IMAGE</c> and <c>ISB_DAEMON_TIMEOUT</c>, through the SDK's own defaults.
/// </summary>
internal static class GlobalOptions
{
    /// <summary><c>--project</c>: the Incus project.</summary>
    public static readonly Option<string?> Project = new("--project")
    {
        Description = "The Incus project to work in [default: INCUS_PROJECT, else default]",
        HelpName = "name",
        Recursive = true,
    };

    /// <summary><c>--socket</c>: the daemon's Unix socket.</summary>
    public static readonly Option<string?> Socket = new("--socket")
    {
        Description = "The Incus daemon's Unix socket [default: INCUS_SOCKET, else /var/lib/incus/unix.socket]",
        HelpName = "path",
        Recursive = true,
    };

    /// <summary><c>--remote</c>: a remote of the incus client's configuration (a Unix socket, or an HTTPS server with the client's certificate).</summary>
    public static readonly Option<string?> Remote = new("--remote")
    {
        Description = "The incus client remote to use, local or an https server added with 'incus remote add' (its client certificate and pinned server certificate are used) [default: INCUS_REMOTE, else local]",
        HelpName = "name",
        Recursive = true,
    };

    /// <summary><c>--daemon-timeout</c>: how long the daemon may take to answer each step before the verb gives up (0: no bound).</summary>
    public static readonly Option<TimeSpan?> DaemonTimeout = Recursive(CommonOptions.Duration("--daemon-timeout",
        "How long the Incus daemon may take to answer before giving up, per request and per step of a transfer; " +
        "a long command or transfer is not cut short by it (0: no bound) [default: ISB_DAEMON_TIMEOUT seconds, else 30s]",
        allowZero: true));

    /// <summary><c>--verbose</c>: what the SDK does (creates, commands, retries, cleanups, daemon stalls) as lines on standard error.</summary>
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Log what is done (sandboxes created and destroyed, commands run, retries, daemon stalls) to standard error",
        Recursive = true,
    };

    /// <summary>Adds the options to the root command.</summary>
    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Project);
        root.Options.Add(Socket);
        root.Options.Add(Remote);
        root.Options.Add(DaemonTimeout);
        root.Options.Add(Verbose);
    }

    /// <summary>A client configured by these options, then the environment, then the defaults.</summary>
    /// <exception cref="Errors.IncusTestKitException">The remote is unknown or unsupported.</exception>
    public static SandboxClient CreateClient(ParseResult parseResult) => CreateClient(parseResult, project: null, defaultImage: null);

    /// <summary>A client as above, with a verb's own say over the project (<c>disp --domain</c>) and the default image (its config file).</summary>
    /// <param name="parseResult">The command line.</param>
    /// <param name="project">Wins over <c>--project</c> when set.</param>
    /// <param name="defaultImage">Wins over <c>ISB_IMAGE</c> when set.</param>
    /// <exception cref="Errors.IncusTestKitException">The remote is unknown or unsupported.</exception>
    public static SandboxClient CreateClient(ParseResult parseResult, string? project, string? defaultImage) => new(new SandboxClientOptions
    {
        Project = NullIfEmpty(project) ?? NullIfEmpty(parseResult.GetValue(Project)),
        SocketPath = NullIfEmpty(parseResult.GetValue(Socket)),
        Remote = NullIfEmpty(parseResult.GetValue(Remote)),
        DefaultImage = NullIfEmpty(defaultImage),
        DaemonTimeout = parseResult.GetValue(DaemonTimeout) is { } timeout ? (timeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : timeout) : null,
        LoggerFactory = Loggers(parseResult),
    });

    /// <summary>Where the verb logs: standard error with <c>--verbose</c>, nowhere without.</summary>
    public static ILoggerFactory Loggers(ParseResult parseResult) =>
        parseResult.GetValue(Verbose) ? StderrLoggerFactory.Instance : NullLoggerFactory.Instance;

    private static Option<T> Recursive<T>(Option<T> option)
    {
        option.Recursive = true;
        return option;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
