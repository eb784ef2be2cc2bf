using System.Diagnostics;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Configuration;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// The entry point of IncusTestKit: creates, finds, lists and destroys sandboxes on an Incus server.
/// Thread-safe and cheap to share: use one per process (or per test assembly) and dispose it at the end.
/// </summary>
/// <example>
/// <code>
/// await using var client = new SandboxClient();
/// await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = "isb/busybox" });
/// var result = await sandbox.RunCommandAsync("echo hello from $(hostname)");
/// </code>
/// </example>
public sealed partial class SandboxClient : IAsyncDisposable, IDisposable
{
    private readonly ResolvedClientOptions _options;
    private readonly IncusRemoteConfig _remotes;
    private readonly Func<CancellationToken>? _ambientCancellation;
    private int _disposed;

    /// <summary>Creates a client; options not set come from the environment, then the defaults (see <see cref="SandboxClientOptions"/>).</summary>
    /// <exception cref="IncusTestKitException">The remote named by the options or <c>INCUS_REMOTE</c> is unknown or unsupported,
    /// or <c>ISB_DAEMON_TIMEOUT</c> is not a number of seconds.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SandboxClientOptions.DaemonTimeout"/> is zero, negative or over a day.</exception>
    /// <exception cref="ArgumentException"><see cref="SandboxClientOptions.Address"/> is not an https address. (Certificates
    /// that are missing, expired or refused are reported by the first call, as <see cref="IncusTrustException"/>.)</exception>
    public SandboxClient(SandboxClientOptions? options = null)
    {
        _remotes = IncusRemoteConfig.Load(Environment.GetEnvironmentVariable);
        _options = ResolvedClientOptions.Resolve(options ?? new SandboxClientOptions(), Environment.GetEnvironmentVariable, _remotes);
        var loggers = options?.LoggerFactory ?? NullLoggerFactory.Instance;
        Logger = loggers.CreateLogger<SandboxClient>();
        SandboxLogger = loggers.CreateLogger<Sandbox>();
        Incus = new IncusClient(_options.Endpoint, _options.Project, _options.DaemonTimeout, loggers.CreateLogger<IncusClient>());
        Ownership = new SandboxOwnership(this);
        DestroyOnSignal = options?.DestroyOnSignal ?? true;
        WatchForCrash = options?.WatchForCrash ?? false;
        _ambientCancellation = options?.AmbientCancellation;
        CommandOutputObserver = options?.CommandOutputObserver;
    }

    /// <summary>See <see cref="SandboxClientOptions.CommandOutputObserver"/>.</summary>
    internal Func<Sandbox, IReadOnlyList<string>, IObserver<OutputChunk>?>? CommandOutputObserver { get; }

    /// <summary>The token a public call runs with: the caller's, or the ambient one when the caller passed none
    /// (see <see cref="SandboxClientOptions.AmbientCancellation"/>).</summary>
    internal CancellationToken CallToken(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled || _ambientCancellation is null ? cancellationToken : _ambientCancellation();

    internal IncusClient Incus { get; }

    /// <summary>Sandbox lifecycle and cleanup (see <see cref="Diagnostics.Log"/>).</summary>
    internal ILogger Logger { get; }

    /// <summary>What runs in the sandboxes.</summary>
    internal ILogger SandboxLogger { get; }

    /// <summary>The sandboxes this client must destroy: creates in flight and auto-destroy sandboxes still alive.</summary>
    internal SandboxOwnership Ownership { get; }

    /// <summary>See <see cref="SandboxClientOptions.DestroyOnSignal"/>.</summary>
    internal bool DestroyOnSignal { get; }

    /// <summary>Where this client reaches the daemon: its Unix socket, or a remote server's address and certificates.</summary>
    public IncusEndpoint Endpoint => _options.Endpoint;

    /// <summary>See <see cref="SandboxClientOptions.WatchForCrash"/>.</summary>
    internal bool WatchForCrash { get; }

    /// <summary>The Incus project every call is scoped to.</summary>
    public string Project => _options.Project;

    /// <summary>The image used when <see cref="SandboxOptions.Image"/> is not set.</summary>
    public string DefaultImage => _options.DefaultImage;

    /// <summary>The instance type used when <see cref="SandboxOptions.Type"/> is not set.</summary>
    internal SandboxType DefaultType => _options.DefaultType;

    /// <summary>Whether <see cref="DisposeAsync"/> has begun: nothing may be sent any more.</summary>
    internal bool IsDisposed => Volatile.Read(ref _disposed) == 1;

    /// <summary>How long the daemon may take to answer each step of a call (see <see cref="SandboxClientOptions.DaemonTimeout"/>).</summary>
    public TimeSpan DaemonTimeout => _options.DaemonTimeout;

    /// <summary>Reads the server's version and capabilities; also the cheapest way to check the daemon answers.</summary>
    /// <exception cref="IncusUnavailableException">The daemon cannot be reached.</exception>
    public async Task<IncusServerInfo> GetServerInfoAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = this.CallToken(cancellationToken);
        var info = await Incus.Server.GetAsync(cancellationToken).ConfigureAwait(false);
        return IncusServerInfo.From(info);
    }

    /// <summary>Finds an existing sandbox by name.</summary>
    /// <exception cref="SandboxNotFoundException">No instance has that name in the project.</exception>
    public async Task<Sandbox> GetByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        cancellationToken = this.CallToken(cancellationToken);
        SandboxNames.Validate(name);
        // A handle needs the config only: the state (which the daemon reads from the running instance, slowly on a busy
        // host) would double what a one-shot `isb exec NAME` pays before its command runs.
        var instance = await Incus.Instances.GetPlainAsync(name, cancellationToken).ConfigureAwait(false);
        return new Sandbox(this, instance, owned: null, ipv4Address: null);
    }

    /// <summary>Lists sandboxes (every instance of the project, ours and others), optionally narrowed down.</summary>
    /// <param name="type">Only this instance type.</param>
    /// <param name="state">Only this run state.</param>
    /// <param name="prefix">Only names starting with this text.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="IncusTestKitException">The project does not exist (<see cref="SandboxErrorCode.InvalidConfiguration"/>).</exception>
    public async Task<IReadOnlyList<SandboxInfo>> ListAsync(SandboxType? type = null, SandboxState? state = null, string? prefix = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken = CallToken(cancellationToken);
        var instances = await Incus.Instances.ListAsync(ListFilter.Build(type, state, prefix), cancellationToken).ConfigureAwait(false);
        // The daemon lists an unknown project as empty; a typo in the project name must not look like "no sandboxes".
        if (instances.Count == 0 && !await Incus.Server.ProjectExistsAsync(Project, cancellationToken).ConfigureAwait(false))
        {
            throw new IncusTestKitException(SandboxErrorCode.InvalidConfiguration,
                $"Project '{Project}' does not exist on this Incus server. See the projects with: incus project list");
        }
        var aliases = await ImageAliasesForAsync(instances, cancellationToken).ConfigureAwait(false);
        return instances.Select(i => SandboxLabels.ToInfo(i, Project, aliases))
                        .Where(i => (prefix is null || i.Name.StartsWith(prefix, StringComparison.Ordinal)) && (state is null || i.State == state))
                        .OrderBy(i => i.Name, StringComparer.Ordinal)
                        .ToList();
    }

    /// <summary>
    /// Fingerprint to alias for the base images of instances IncusTestKit did not create (ours record the image as named);
    /// one request, made only when there are such instances. The first alias in ordinal order wins, so it is stable.
    /// </summary>
    internal async Task<IReadOnlyDictionary<string, string>?> ImageAliasesForAsync(IReadOnlyList<Instance> instances, CancellationToken cancellationToken)
    {
        if (instances.All(i => i.Config.ContainsKey(SandboxLabels.Image) || !i.Config.ContainsKey(SandboxLabels.BaseImage)))
            return null;
        var aliases = await Incus.Images.ListAliasesAsync(cancellationToken).ConfigureAwait(false);
        return aliases.Where(a => a.Target.Length > 0)
                      .GroupBy(a => a.Target, StringComparer.Ordinal)
                      .ToDictionary(g => g.Key, g => g.Select(a => a.Name).Min(StringComparer.Ordinal)!, StringComparer.Ordinal);
    }

    /// <summary>Destroys a sandbox by name, as <see cref="Sandbox.DestroyAsync"/> does: with its snapshots, stopping it first if it runs.</summary>
    /// <param name="name">The sandbox.</param>
    /// <param name="force">Kill it if running (the default); false shuts it down cleanly first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SandboxNotFoundException">No instance has that name.</exception>
    public async Task DestroyAsync(string name, bool force = true, CancellationToken cancellationToken = default)
    {
        SandboxNames.Validate(name);
        await DestroyInstanceAsync(name, force, createId: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops and deletes an instance; the daemon deletes its snapshots with it. With a <paramref name="createId"/>, only the instance that create made: its id is
    /// checked before the stop and again before the delete, and an instance carrying another one (a same-named instance
    /// made after ours was deleted) is left alone, reported as <see cref="SandboxNotFoundException"/>.
    /// </summary>
    internal async Task DestroyInstanceAsync(string name, bool force, string? createId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        Log.DestroyingSandbox(Logger, name);
        var instance = await ReadInstanceAsync(name, createId, cancellationToken).ConfigureAwait(false);
        if (SandboxStates.FromStatusCode(instance.StatusCode) is not SandboxState.Stopped)
        {
            try
            {
                await StopInstanceAsync(name, force, null, cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxNotFoundException)
            {
                Log.SandboxDestroyed(Logger, name, Log.Milliseconds(Stopwatch.GetElapsedTime(started)));
                return; // An ephemeral instance is deleted by its own stop.
            }
        }
        try
        {
            // A stop can take a while: check again that the instance is still the one that create made.
            if (createId is not null)
                await ReadInstanceAsync(name, createId, cancellationToken).ConfigureAwait(false);
            await Incus.Instances.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxNotFoundException)
        {
            // Gone between the stop and the delete (ephemeral): that is what was asked for.
        }
        catch (IncusTestKitException e) when (e.Condition == DaemonCondition.AlreadyDoneByAnother)
        {
            // Deleted by another client at the same moment (two leftover sweeps): that is what was asked for.
        }
        Log.SandboxDestroyed(Logger, name, Log.Milliseconds(Stopwatch.GetElapsedTime(started)));
    }

    private async Task<Instance> ReadInstanceAsync(string name, string? createId, CancellationToken cancellationToken)
    {
        var instance = await Incus.Instances.GetPlainAsync(name, cancellationToken).ConfigureAwait(false);
        if (createId is not null && instance.Config.GetValueOrDefault(SandboxLabels.CreateId) is var found && found != createId)
        {
            throw new SandboxNotFoundException(name,
                $"Sandbox '{name}' no longer exists: the instance now named '{name}' was made by another create " +
                $"(create id {found ?? "none"}, not {createId}), so it is left alone.");
        }
        return instance;
    }

    /// <summary>
    /// Destroys the instance a create made, if it still exists and is still that one (see <see cref="DestroyInstanceAsync"/>),
    /// trying again while the daemon is still busy starting it.
    /// </summary>
    internal async Task DestroyOwnedInstanceAsync(string name, string createId, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await DestroyInstanceAsync(name, force: true, createId, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (SandboxNotFoundException)
            {
                return; // Gone, or someone else's now: nothing of ours is left.
            }
            catch (IncusTestKitException e) when (e.Condition is DaemonCondition.Busy or DaemonCondition.StillRunning)
            {
                // A create that was cut short leaves the daemon still starting the instance: it refuses to delete a busy
                // one, and one that was stopped when read may be running by the delete.
                Log.CleanupRetry(Logger, name);
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal async Task StopInstanceAsync(string name, bool force, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var body = new InstanceStatePut("stop", Force: force, Timeout: force ? null : SecondsOrNull(timeout));
        try
        {
            await Incus.Instances.ChangeStateAsync(name, body, Incus.Instances.Context($"Stopping sandbox '{name}'", name), cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException e) when (e.Condition is DaemonCondition.AlreadyStopped or DaemonCondition.AlreadyDoneByAnother)
        {
            // Stopping a stopped sandbox, or one another client stopped at the same moment, leaves it as asked.
        }
        catch (SandboxTimeoutException e) when (e.Condition == DaemonCondition.ShutdownTimedOut)
        {
            throw new SandboxTimeoutException(
                $"Sandbox '{name}' did not shut down within {timeout?.TotalSeconds ?? 0:0.#} s; it is still running. Stop it with force: dotnet isb stop {name} --force", e);
        }
    }

    // The daemon reads a timeout of 0 as "kill now", so a graceful stop never sends 0.
    internal static int? SecondsOrNull(TimeSpan? timeout) => timeout is { } t ? Math.Max(1, (int)Math.Ceiling(t.TotalSeconds)) : null;

    /// <summary>
    /// Destroys what the client still owns, then closes its connections. It owns every sandbox it is creating and every
    /// auto-destroy sandbox it made that is not destroyed yet (a fixture's sandbox kept to the end of the run): creates in
    /// flight are abandoned (their <see cref="CreateAsync"/> throws <see cref="OperationCanceledException"/>) and each
    /// sandbox is destroyed, all together, each within 30 s. An instance is deleted only while it is the one this client
    /// created. Sandboxes made without auto-destroy are not touched; the leases of shared sandboxes are released (a shared
    /// sandbox is destroyed only when no other process holds it). Disposing again does nothing.
    /// </summary>
    /// <exception cref="SandboxCleanupException">Some could not be destroyed; the message names each and how to destroy it.</exception>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        IReadOnlyDictionary<OwnedSandbox, Exception> failures;
        try
        {
            failures = await Ownership.DestroyAllAsync(close: true).ConfigureAwait(false);
        }
        finally
        {
            ProcessExitCleanup.Untrack(Ownership);
            await StopSweepAsync().ConfigureAwait(false);
            Incus.Dispose();
        }
        if (failures.Count > 0)
            throw new SandboxCleanupException(Project, failures.ToDictionary(f => f.Key.Name, f => f.Value, StringComparer.Ordinal));
    }

    /// <summary>The same as <see cref="DisposeAsync"/>, waiting for it.</summary>
    /// <exception cref="SandboxCleanupException">Some sandboxes could not be destroyed.</exception>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
