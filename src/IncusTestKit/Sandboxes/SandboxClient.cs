using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Configuration;
using IncusTestKit.Errors;

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

    /// <summary>Creates a client; options not set come from the environment, then the defaults (see <see cref="SandboxClientOptions"/>).</summary>
    /// <exception cref="IncusTestKitException">The remote named by the options or <c>INCUS_REMOTE</c> is unknown or unsupported,
    /// or <c>ISB_DAEMON_TIMEOUT</c> is not a number of seconds.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SandboxClientOptions.DaemonTimeout"/> is zero, negative or over a day.</exception>
    public SandboxClient(SandboxClientOptions? options = null)
    {
        _remotes = IncusRemoteConfig.Load(Environment.GetEnvironmentVariable);
        _options = ResolvedClientOptions.Resolve(options ?? new SandboxClientOptions(), Environment.GetEnvironmentVariable, _remotes);
        Incus = new IncusClient(_options.SocketPath, _options.Project, _options.DaemonTimeout);
    }

    internal IncusClient Incus { get; }

    /// <summary>The Unix socket this client talks to.</summary>
    public string SocketPath => _options.SocketPath;

    /// <summary>The Incus project every call is scoped to.</summary>
    public string Project => _options.Project;

    /// <summary>The image used when <see cref="SandboxOptions.Image"/> is not set.</summary>
    public string DefaultImage => _options.DefaultImage;

    /// <summary>How long the daemon may take to answer each step of a call (see <see cref="SandboxClientOptions.DaemonTimeout"/>).</summary>
    public TimeSpan DaemonTimeout => _options.DaemonTimeout;

    /// <summary>Reads the server's version and capabilities; also the cheapest way to check the daemon answers.</summary>
    /// <exception cref="IncusUnavailableException">The daemon cannot be reached.</exception>
    public async Task<IncusServerInfo> GetServerInfoAsync(CancellationToken cancellationToken = default)
    {
        var info = await Incus.Server.GetAsync(cancellationToken).ConfigureAwait(false);
        return IncusServerInfo.From(info);
    }

    /// <summary>Finds an existing sandbox by name.</summary>
    /// <exception cref="SandboxNotFoundException">No instance has that name in the project.</exception>
    public async Task<Sandbox> GetByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        SandboxNames.Validate(name);
        var instance = await Incus.Instances.GetAsync(name, cancellationToken).ConfigureAwait(false);
        return new Sandbox(this, instance, autoDestroy: false, ipv4Address: null);
    }

    /// <summary>Lists sandboxes (every instance of the project, ours and others), optionally narrowed down.</summary>
    /// <param name="type">Only this instance type.</param>
    /// <param name="state">Only this run state.</param>
    /// <param name="prefix">Only names starting with this text.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<SandboxInfo>> ListAsync(SandboxType? type = null, SandboxState? state = null, string? prefix = null,
        CancellationToken cancellationToken = default)
    {
        var instances = await Incus.Instances.ListAsync(ListFilter.Build(type, state, prefix), cancellationToken).ConfigureAwait(false);
        return instances.Select(i => SandboxLabels.ToInfo(i, Project))
                        .Where(i => (prefix is null || i.Name.StartsWith(prefix, StringComparison.Ordinal)) && (state is null || i.State == state))
                        .OrderBy(i => i.Name, StringComparer.Ordinal)
                        .ToList();
    }

    /// <summary>Destroys a sandbox by name.</summary>
    /// <param name="name">The sandbox.</param>
    /// <param name="force">Kill it if running; otherwise it is shut down cleanly first.</param>
    /// <param name="deleteSnapshots">Also delete its snapshots; when false, a sandbox with snapshots is refused.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SandboxNotFoundException">No instance has that name.</exception>
    public async Task DestroyAsync(string name, bool force = true, bool deleteSnapshots = true, CancellationToken cancellationToken = default)
    {
        SandboxNames.Validate(name);
        await DestroyInstanceAsync(name, force, deleteSnapshots, cancellationToken).ConfigureAwait(false);
    }

    internal async Task DestroyInstanceAsync(string name, bool force, bool deleteSnapshots, CancellationToken cancellationToken)
    {
        if (!deleteSnapshots)
        {
            var snapshots = await Incus.Instances.ListSnapshotNamesAsync(name, cancellationToken).ConfigureAwait(false);
            if (snapshots.Count > 0)
            {
                throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                    $"Sandbox '{name}' has {snapshots.Count} snapshot(s) ({string.Join(", ", snapshots)}); pass deleteSnapshots: true (--delete-snapshots) to destroy them too.");
            }
        }
        var state = await Incus.Instances.GetStateAsync(name, cancellationToken).ConfigureAwait(false);
        if (SandboxStates.FromStatusCode(state.StatusCode) is not SandboxState.Stopped)
        {
            try
            {
                await StopInstanceAsync(name, force, null, cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxNotFoundException)
            {
                return; // An ephemeral instance is deleted by its own stop.
            }
        }
        try
        {
            await Incus.Instances.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxNotFoundException)
        {
            // Gone between the stop and the delete (ephemeral): that is what was asked for.
        }
    }

    internal async Task StopInstanceAsync(string name, bool force, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var body = new InstanceStatePut("stop", Force: force, Timeout: force ? null : SecondsOrNull(timeout));
        try
        {
            await Incus.Instances.ChangeStateAsync(name, body, Incus.Instances.Context($"Stopping sandbox '{name}'", name), cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException e) when (e.DaemonMessage?.Contains("already stopped", StringComparison.OrdinalIgnoreCase) == true)
        {
            // Stopping a stopped sandbox leaves it as asked.
        }
        catch (IncusTestKitException e) when (e.DaemonMessage?.Contains("Failed shutting down instance", StringComparison.OrdinalIgnoreCase) == true)
        {
            throw new SandboxTimeoutException(
                $"Sandbox '{name}' did not shut down within {timeout?.TotalSeconds ?? 0:0.#} s; it is still running. Stop it with force: dotnet isb stop {name} --force", e.DaemonMessage, e);
        }
    }

    // The daemon reads a timeout of 0 as "kill now", so a graceful stop never sends 0.
    internal static int? SecondsOrNull(TimeSpan? timeout) => timeout is { } t ? Math.Max(1, (int)Math.Ceiling(t.TotalSeconds)) : null;

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => Incus.Dispose();
}
