using System.Collections.Concurrent;
using IncusTestKit.Configuration;
using IncusTestKit.Pooling;
using IncusTestKit.Sandboxes;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Session;

/// <summary>
/// What one build shares between its tasks: one <see cref="SandboxClient"/> and the sandboxes the build created.
/// It is registered with MSBuild for the lifetime of the build, so MSBuild disposes it when the build ends, however it
/// ends (a failed task, a cancelled build): every sandbox created with <c>DestroyAfterBuild</c> that is still there is
/// destroyed then. A process killed outright leaves them to the SDK's reaper (their owner process is gone).
/// </summary>
internal sealed class BuildSandboxes : IDisposable
{
    private const string Key = "IncusTestKit.MSBuild.BuildSandboxes";
    private static readonly Lock Gate = new();
    private readonly ConcurrentDictionary<string, Sandbox> _created = new(StringComparer.Ordinal);
    // One client per remote the build's tasks name ("" for INCUS_REMOTE, else the local daemon), made on first use.
    private readonly ConcurrentDictionary<string, Lazy<SandboxClient>> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<SandboxPool> _pools = [];

    private BuildSandboxes()
    {
    }

    /// <summary>The build's client of a remote of the incus client config (null or empty: <c>INCUS_REMOTE</c>, else the local daemon).</summary>
    /// <exception cref="Errors.IncusTestKitException">The remote is not configured, or its certificates cannot be read.</exception>
    public SandboxClient Client(string? remote)
    {
        // Ctrl-C is MSBuild's: it cancels the running task (which kills its command), ends the build and disposes this,
        // in that order. The SDK's own signal cleanup would destroy the sandbox under the running command instead.
        var client = _clients.GetOrAdd(remote ?? "", key => new Lazy<SandboxClient>(() => new SandboxClient(new SandboxClientOptions
        {
            Remote = key.Length == 0 ? null : key,
            LoggerFactory = TaskLoggerFactory.Instance,
            DestroyOnSignal = false,
        })));
        try
        {
            return client.Value;
        }
        catch
        {
            _clients.TryRemove(remote ?? "", out _); // A bad remote is reported by each task that names it, not cached.
            throw;
        }
    }

    /// <summary>
    /// A warm pool of this configuration on that remote for one task. Its members live in Incus and outlive the build (the
    /// next build's pool of the same configuration claims them); pools of one configuration, in this build or another,
    /// share them. The build's end only waits briefly for members still being created.
    /// </summary>
    /// <exception cref="Errors.InvalidNameException">The name prefix makes invalid names.</exception>
    public SandboxPool Pool(string? remote, SandboxOptions options, int size, string namePrefix)
    {
        var pool = new SandboxPool(Client(remote), options with { AutoDestroy = true },
            new SandboxPoolOptions { Size = size, KeepMembers = true, NamePrefix = namePrefix });
        _pools.Add(pool);
        return pool;
    }

    /// <summary>The build's instance, made and registered by the first task that asks.</summary>
    public static BuildSandboxes For(IBuildEngine4 engine)
    {
        lock (Gate)
        {
            if (engine.GetRegisteredTaskObject(Key, RegisteredTaskObjectLifetime.Build) is BuildSandboxes existing)
                return existing;
            var created = new BuildSandboxes();
            engine.RegisterTaskObject(Key, created, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
            return created;
        }
    }

    /// <summary>Remembers a sandbox this build created, so later tasks use the same object.</summary>
    public void Add(Sandbox sandbox) => _created[sandbox.Name] = sandbox;

    /// <summary>A sandbox this build created, else the existing one of that name.</summary>
    /// <exception cref="Errors.SandboxNotFoundException">There is none.</exception>
    public async Task<Sandbox> GetAsync(string name, string? remote, CancellationToken cancellationToken) =>
        _created.TryGetValue(name, out var sandbox) ? sandbox : await Client(remote).GetByNameAsync(name, cancellationToken).ConfigureAwait(false);

    /// <summary>Destroys a sandbox by name (one of this build's, or any other); a sandbox already gone is not an error.</summary>
    /// <returns>Whether there was one to destroy.</returns>
    public async Task<bool> DestroyAsync(string name, string? remote, CancellationToken cancellationToken)
    {
        try
        {
            if (_created.TryRemove(name, out var sandbox))
                await sandbox.DestroyAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            else
                await Client(remote).DestroyAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Errors.SandboxNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Called by MSBuild when the build ends: disposing the pools lets their members be (they outlive the build), and
    /// disposing the clients destroys every auto-destroy sandbox they made that is still there (each within its own
    /// bound), and creates still in flight.
    /// </summary>
    public void Dispose()
    {
        foreach (var pool in _pools)
            pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated))
            client.Value.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
