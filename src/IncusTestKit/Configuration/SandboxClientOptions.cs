using IncusTestKit.Sandboxes;
using Microsoft.Extensions.Logging;

namespace IncusTestKit.Configuration;

/// <summary>
/// How a <see cref="SandboxClient"/> reaches Incus. Every property is optional: a value set here wins over
/// the environment (<c>INCUS_SOCKET</c>, <c>INCUS_REMOTE</c>, <c>INCUS_PROJECT</c>, <c>ISB_IMAGE</c>,
/// <c>ISB_DAEMON_TIMEOUT</c>), which wins over the defaults.
/// </summary>
public sealed record SandboxClientOptions
{
    /// <summary>
    /// Where the daemon is, as one value: <see cref="IncusEndpoint.Unix"/> or <see cref="IncusEndpoint.Https"/> (for
    /// example another client's <see cref="SandboxClient.Endpoint"/>). Wins over <see cref="Address"/>,
    /// <see cref="SocketPath"/>, <see cref="Remote"/> and the environment; the project then comes from
    /// <see cref="Project"/>, <c>INCUS_PROJECT</c> or the endpoint's remote. Default: from those properties.
    /// </summary>
    public IncusEndpoint? Endpoint { get; init; }

    /// <summary>The daemon's Unix socket. Default: <c>INCUS_SOCKET</c>, else <c>$INCUS_DIR/unix.socket</c>,
    /// else <c>/run/incus/unix.socket</c> when it exists, else <c>/var/lib/incus/unix.socket</c>.</summary>
    public string? SocketPath { get; init; }

    /// <summary>The Incus client remote to use (from <c>~/.config/incus/config.yml</c>, or <c>$INCUS_CONF/config.yml</c>).
    /// Default: <c>INCUS_REMOTE</c>, else the config's default remote, else <c>local</c>. An <c>https://</c> remote is
    /// reached with the client certificate beside that file (<c>client.crt</c>, <c>client.key</c>) and the server
    /// certificate pinned in <c>servercerts/&lt;remote&gt;.crt</c> (without it, the system's CAs must trust the server),
    /// exactly as the <c>incus</c> CLI does.</summary>
    public string? Remote { get; init; }

    /// <summary>A remote server's address, <c>https://host:port</c> (port 8443 when omitted); wins over
    /// <see cref="SocketPath"/> and <see cref="Remote"/>. The server must trust <see cref="ClientCertificatePath"/>
    /// (<c>incus config trust add-certificate</c> on the server).</summary>
    public string? Address { get; init; }

    /// <summary>The PEM client certificate for <see cref="Address"/>. Default: <c>client.crt</c> in the incus client's
    /// config folder (<c>INCUS_CONF</c>, else <c>~/.config/incus</c>).</summary>
    public string? ClientCertificatePath { get; init; }

    /// <summary>The PEM private key of <see cref="ClientCertificatePath"/>. Default: <c>client.key</c> beside the default certificate.</summary>
    public string? ClientKeyPath { get; init; }

    /// <summary>The PEM certificate the server at <see cref="Address"/> must present (pinned, as the incus CLI's
    /// <c>servercerts/</c>). Default: none, and the server's certificate must be trusted by the system's CAs. The
    /// server's certificate is always verified.</summary>
    public string? ServerCertificatePath { get; init; }

    /// <summary>The Incus project every sandbox lives in. Default: <c>INCUS_PROJECT</c>, else <c>default</c>.</summary>
    public string? Project { get; init; }

    /// <summary>The image used when <see cref="SandboxOptions.Image"/> is not set. Default: <c>ISB_IMAGE</c>,
    /// else <c>isb/debian12</c> (built by this repository's bootstrap).</summary>
    public string? DefaultImage { get; init; }

    /// <summary>The instance type used when <see cref="SandboxOptions.Type"/> is not set. Default: container.</summary>
    public SandboxType? DefaultType { get; init; }

    /// <summary>
    /// How long the Incus daemon may go without answering before a call gives up with
    /// <see cref="Errors.IncusUnavailableException"/> (reason <see cref="Errors.IncusUnavailableReason.NotAnswering"/>),
    /// so a daemon that is stuck (or stopped with SIGSTOP) never hangs a caller. Default: <c>ISB_DAEMON_TIMEOUT</c>
    /// (seconds; 0 for no bound), else <see cref="DefaultDaemonTimeout"/> (30 s).
    /// </summary>
    /// <remarks>
    /// <para>It bounds each step that waits on the daemon, never the total time of a call: connecting to the socket,
    /// each request until its answer, each websocket handshake (exec, terminals, consoles), and each read or write of a
    /// file's body that makes no progress. So a large file transfer is bounded by progress, not by its length.</para>
    /// <para>Waits on long operations (a command that runs for an hour, a slow start) ask the daemon in rounds of half
    /// this bound (at most 30 s): a round the daemon does not answer within the round plus this bound ends the call,
    /// so a daemon that stops answering is noticed within about one and a half times this bound, and a quiet
    /// command whose daemon keeps answering runs as long as it needs. A command's own limit is
    /// <see cref="Exec.CommandOptions.Timeout"/>, which is separate.</para>
    /// <para>The default leaves room for the 10-20 s a busy daemon can take to answer while it starts several
    /// instances at once. <see cref="Timeout.InfiniteTimeSpan"/> means no bound; otherwise the value must be more
    /// than zero and at most a day.</para>
    /// </remarks>
    public TimeSpan? DaemonTimeout { get; init; }

    /// <summary>
    /// Where the client logs what it does: sandboxes created and destroyed (with durations), commands run (program,
    /// arguments, exit code and duration; never their environment), retries, cleanup failures and a daemon that stops
    /// answering. Default: nothing is logged. The factory stays the caller's: the client never disposes it.
    /// </summary>
    /// <remarks>Categories are the logging types (<c>IncusTestKit.Sandboxes.SandboxClient</c>,
    /// <c>IncusTestKit.Sandboxes.Sandbox</c>, <c>IncusTestKit.Client.IncusClient</c>); event ids are stable.</remarks>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Destroy this client's auto-destroy sandboxes as soon as the process gets SIGINT (Ctrl-C), SIGTERM or SIGHUP.
    /// Default: true. Set it to false in an application that handles these signals itself, cancels its work and then
    /// disposes the client (MSBuild does): the cleanup then happens in order, and still at the process's exit.
    /// </summary>
    public bool DestroyOnSignal { get; init; } = true;

    /// <summary>
    /// Destroy this process's auto-destroy sandboxes within seconds when it is killed with SIGKILL (or otherwise dies
    /// without its exit cleanup), instead of at the next sweep. Default: false; the IncusTestKit.Xunit fixtures turn it
    /// on. After the first auto-destroy create, one small watcher process per process, daemon and project (not per
    /// client) is started with the same <c>dotnet</c>: it checks every second that this process still lives and, once it
    /// is gone, destroys the sandboxes this process owned there (nothing else) and exits. On a remote server it is given
    /// the paths of the client certificate, key and pinned server certificate (never their content), and reads them when
    /// it starts. It needs no image and no privileges, writes nothing,
    /// and lives at most a day. It is <c>IncusTestKit.Watcher.dll</c>, which must sit next to <c>IncusTestKit.dll</c>
    /// (the IncusTestKit.Xunit package brings it); without it nothing is started and leftovers go at the next sweep
    /// (see <see cref="SandboxClient.ReapLeftoversAsync"/>). Linux only.
    /// </summary>
    public bool WatchForCrash { get; init; }

    /// <summary>
    /// The token a call of this client, its sandboxes and its pools takes when its caller passes none
    /// (<see cref="CancellationToken.None"/>), read as the call starts: the running test's token, say, so a cancelled or
    /// timed-out test ends what it started and its commands are killed without the token being passed to each call. A
    /// token the caller passes wins. Destroying, keeping (<see cref="Sandbox.KeepAsync"/>) and disposing never take it, so cleanup still happens after a
    /// cancellation. Default: none. The IncusTestKit.Xunit fixtures give the running test's token.
    /// </summary>
    public Func<CancellationToken>? AmbientCancellation { get; init; }

    /// <summary>
    /// Sees what every command of this client's sandboxes prints, besides the command's own
    /// <see cref="Exec.CommandOptions.OnOutput"/>: a test framework copying it into the running test's output, say. It is
    /// called as a command starts, with the sandbox and the program and arguments; the observer it returns (null: none
    /// for this command) gets each piece of output as it arrives (<see cref="IObserver{T}.OnNext"/>, on the thread that
    /// reads it: return quickly; what it throws fails the command), then <see cref="IObserver{T}.OnCompleted"/> once the
    /// command has ended, or <see cref="IObserver{T}.OnError"/> when the call failed. Default: none. The
    /// IncusTestKit.Xunit fixtures write each line to the running test's output, prefixed with the sandbox's name.
    /// </summary>
    public Func<Sandbox, IReadOnlyList<string>, IObserver<Exec.OutputChunk>?>? CommandOutputObserver { get; init; }

    /// <summary>The <see cref="DaemonTimeout"/> used when neither the options nor <c>ISB_DAEMON_TIMEOUT</c> set one: 30 seconds.</summary>
    public static TimeSpan DefaultDaemonTimeout { get; } = TimeSpan.FromSeconds(30);
}
