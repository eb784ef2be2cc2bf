using System.Diagnostics;
using System.Globalization;
using System.Text;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Exec;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    /// <summary>
    /// Runs a command line with <c>sh -c</c>, for when you want shell syntax (pipes, globs, <c>&amp;&amp;</c>).
    /// Never build it from untrusted values; use the argv overload for those.
    /// </summary>
    /// <param name="command">The shell command line.</param>
    /// <param name="options">Working directory, environment, user, timeout, stdin, output limit and live output.</param>
    /// <param name="cancellationToken">Cancels the command; it is killed in the sandbox.</param>
    /// <returns>The exit code and output; a non-zero exit code is not an exception.</returns>
    /// <exception cref="SandboxNotRunningException">The sandbox is stopped or frozen.</exception>
    /// <exception cref="SandboxTimeoutException">It ran longer than the timeout and was killed; the message says what was killed (see <see cref="CommandOptions.Timeout"/>).</exception>
    public Task<ExecResult> RunCommandAsync(string command, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        return RunCommandAsync(["sh", "-c", command], options, cancellationToken);
    }

    /// <summary>Runs a program with these exact arguments, no shell involved: every argument arrives verbatim.</summary>
    /// <param name="argv">The program and its arguments.</param>
    /// <param name="options">Working directory, environment, user, timeout, stdin, output limit and live output.</param>
    /// <param name="cancellationToken">Cancels the command; it is killed in the sandbox.</param>
    /// <returns>The exit code and output; a non-zero exit code is not an exception (127: command not found).</returns>
    /// <exception cref="SandboxNotRunningException">The sandbox is stopped or frozen.</exception>
    /// <exception cref="SandboxTimeoutException">It ran longer than the timeout and was killed; the message says what was killed (see <see cref="CommandOptions.Timeout"/>).</exception>
    /// <exception cref="PathNotFoundException">The working directory does not exist.</exception>
    public async Task<ExecResult> RunCommandAsync(IReadOnlyList<string> argv, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0 || string.IsNullOrEmpty(argv[0]))
            throw new ArgumentException("The command needs at least a program name.", nameof(argv));
        options ??= new CommandOptions();
        if (!options.WorkingDirectory.StartsWith('/'))
            throw new ArgumentException($"The working directory '{options.WorkingDirectory}' must be an absolute path.", nameof(options));

        var environment = new Dictionary<string, string>(options.Environment, StringComparer.Ordinal);
        var (uid, gid) = await ResolveUserAsync(options.User, environment, cancellationToken).ConfigureAwait(false);
        var channel = await ChannelAsync(cancellationToken).ConfigureAwait(false);
        // The agent checks the directory itself as it starts the command.
        if (channel.Kind == ExecChannel.Daemon)
            await EnsureDirectoryAsync(options.WorkingDirectory, cancellationToken).ConfigureAwait(false);
        var logged = new CommandText(argv);
        Log.CommandStarting(_client.SandboxLogger, logged, Name);
        var started = Stopwatch.GetTimestamp();
        var observer = _client.CommandOutputObserver?.Invoke(this, argv);
        if (observer is not null)
            options = options with { OnOutput = Observed(options.OnOutput, observer) };
        try
        {
            ExecResult result;
            try
            {
                result = await new ContainedExec(channel, Name, options).RunAsync(argv, uid, gid, environment, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentDeclinedException)
            {
                // A uid the agent cannot switch to (no entry in the sandbox's /etc/passwd), a start request over its limit:
                // nothing ran, the daemon runs it.
                await EnsureDirectoryAsync(options.WorkingDirectory, cancellationToken).ConfigureAwait(false);
                result = await new ContainedExec(DaemonChannel, Name, options).RunAsync(argv, uid, gid, environment, cancellationToken).ConfigureAwait(false);
            }
            Log.CommandExited(_client.SandboxLogger, logged, Name, result.ExitCode, Log.Milliseconds(result.Duration));
            observer?.OnCompleted();
            return result;
        }
        catch (Exception e)
        {
            Log.CommandFailed(_client.SandboxLogger, logged, Name, Log.Milliseconds(Stopwatch.GetElapsedTime(started)), e);
            observer?.OnError(e);
            throw;
        }
    }

    private static Func<OutputChunk, CancellationToken, ValueTask> Observed(Func<OutputChunk, CancellationToken, ValueTask>? onOutput, IObserver<OutputChunk> observer) =>
        (chunk, cancellationToken) =>
        {
            observer.OnNext(chunk);
            return onOutput?.Invoke(chunk, cancellationToken) ?? ValueTask.CompletedTask;
        };

    /// <summary>
    /// Which channel this handle's commands use: <see cref="Exec.ExecChannel.Daemon"/> or <see cref="Exec.ExecChannel.Agent"/>.
    /// For a sandbox created with <see cref="Exec.ExecChannel.Auto"/> this is decided here, as on the first command: the
    /// agent is pushed in and started, or found unable to run.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ExecAgentException">The sandbox was created with <see cref="Exec.ExecChannel.Agent"/> and cannot run the agent.</exception>
    public async Task<ExecChannel> GetExecChannelAsync(CancellationToken cancellationToken = default) =>
        (await ChannelAsync(_client.CallToken(cancellationToken)).ConfigureAwait(false)).Kind;

    private DaemonExecChannel DaemonChannel => _daemonChannel ??= new DaemonExecChannel(_client.Incus, Name);

    /// <summary>
    /// The channel for the next command. The agent is started once per handle; where it cannot run, Auto settles on the
    /// daemon for good, Agent fails. A channel that broke is replaced: Auto by the daemon, Agent by a new agent.
    /// </summary>
    private async Task<IExecChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (ExecChannel == ExecChannel.Daemon || _agentUnavailable is not null)
            return DaemonChannel;
        if (_agent is { IsBroken: false } running)
            return running;
        await _agentGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_agent is { IsBroken: false } started)
                return started;
            if (_agent is not null && ExecChannel == ExecChannel.Auto)
            {
                _agentUnavailable = "its exec agent broke";
                return DaemonChannel;
            }
            try
            {
                _agent = await AgentExecChannel.StartAsync(_client.Incus, Name, _client.SandboxLogger, cancellationToken).ConfigureAwait(false);
                return _agent;
            }
            catch (AgentUnavailableException e) when (ExecChannel == ExecChannel.Auto)
            {
                _agentUnavailable = e.Message;
                Log.AgentUnavailable(_client.SandboxLogger, Name, e.Message);
                return DaemonChannel;
            }
            catch (AgentUnavailableException e)
            {
                throw new ExecAgentException(
                    $"Sandbox '{Name}' cannot run the exec agent: {e.Message}. Create it with ExecChannel.Auto to use the daemon where the agent cannot run.");
            }
        }
        finally
        {
            _agentGate.Release();
        }
    }

    // The daemon silently runs in / when the directory is missing; a clear error is kinder.
    private async Task EnsureDirectoryAsync(string path, CancellationToken cancellationToken)
    {
        if (path != "/" && !await _client.Incus.Files.ExistsAsync(Name, path, cancellationToken).ConfigureAwait(false))
            throw ContainedExec.MissingWorkingDirectory(path, Name);
    }

    /// <summary>A name is looked up in the sandbox's /etc/passwd; HOME and USER follow, as a login would set them.</summary>
    private async Task<(uint Uid, uint Gid)> ResolveUserAsync(string? user, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(user) || user is "root" or "0")
            return (0, 0);
        var passwd = Encoding.UTF8.GetString(await _client.Incus.Files.ReadAsync(Name, "/etc/passwd", cancellationToken).ConfigureAwait(false));
        var isUid = uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var wantedUid);
        foreach (var line in passwd.Split('\n'))
        {
            var fields = line.Split(':');
            if (fields.Length < 7 || !uint.TryParse(fields[2], CultureInfo.InvariantCulture, out var uid) || !uint.TryParse(fields[3], CultureInfo.InvariantCulture, out var gid))
                continue;
            if (isUid ? uid != wantedUid : fields[0] != user)
                continue;
            environment.TryAdd("HOME", fields[5]);
            environment.TryAdd("USER", fields[0]);
            return (uid, gid);
        }
        if (isUid)
            return (wantedUid, wantedUid);
        throw new IncusTestKitException(SandboxErrorCode.InvalidConfiguration,
            $"User '{user}' does not exist in sandbox '{Name}' (not in its /etc/passwd). Use an existing user name or a numeric uid.");
    }
}
