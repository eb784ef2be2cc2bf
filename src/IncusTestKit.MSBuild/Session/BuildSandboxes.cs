using System.Collections.Concurrent;
using IncusTestKit.Configuration;
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

    // Ctrl-C is MSBuild's: it cancels the running task (which kills its command), ends the build and disposes this,
    // in that order. The SDK's own signal cleanup would destroy the sandbox under the running command instead.
    private BuildSandboxes() =>
        Client = new SandboxClient(new SandboxClientOptions { LoggerFactory = TaskLoggerFactory.Instance, DestroyOnSignal = false });

    public SandboxClient Client { get; }

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
    public async Task<Sandbox> GetAsync(string name, CancellationToken cancellationToken) =>
        _created.TryGetValue(name, out var sandbox) ? sandbox : await Client.GetByNameAsync(name, cancellationToken).ConfigureAwait(false);

    /// <summary>Destroys a sandbox by name (one of this build's, or any other); a sandbox already gone is not an error.</summary>
    /// <returns>Whether there was one to destroy.</returns>
    public async Task<bool> DestroyAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            if (_created.TryRemove(name, out var sandbox))
                await sandbox.DestroyAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            else
                await Client.DestroyAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Errors.SandboxNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Called by MSBuild when the build ends: disposing the client destroys every auto-destroy sandbox it made that is
    /// still there (each within its own bound), and creates still in flight.
    /// </summary>
    public void Dispose() => Client.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
