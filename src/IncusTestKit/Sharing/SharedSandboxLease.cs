using IncusTestKit.Sandboxes;

namespace IncusTestKit.Sharing;

/// <summary>
/// One user's hold on a shared sandbox (see <see cref="SandboxClient.AcquireSharedAsync"/>): while any lease on it is
/// held by a live process, the sandbox stays. Disposing the lease releases it, and destroys the sandbox when it was the
/// last; the client's dispose and the process's end (normally, Ctrl-C, SIGTERM) do the same for a lease never disposed,
/// and after a SIGKILL the leftover sweep treats the dead process's lease as released.
/// </summary>
public sealed class SharedSandboxLease : IAsyncDisposable
{
    internal SharedSandboxLease(Sandbox sandbox, string key, DateTimeOffset expiresAt, bool created)
    {
        Sandbox = sandbox;
        Key = key;
        ExpiresAt = expiresAt;
        Created = created;
    }

    /// <summary>The shared sandbox. Disposing it is the same as disposing the lease; <see cref="Sandbox.DestroyAsync"/>
    /// destroys it for every user.</summary>
    public Sandbox Sandbox { get; }

    /// <summary>The configuration's hash, stored on the sandbox as <c>user.isb.shared</c>: equal keys share.</summary>
    public string Key { get; }

    /// <summary>When the sandbox stops taking new users (see <see cref="SharedSandboxOptions.TimeToLive"/>).</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Whether this call created the sandbox (false: it joined one another call made).</summary>
    public bool Created { get; }

    /// <summary>Releases the lease, destroying the sandbox when no other live process holds it (within 30 s). Disposing
    /// again does nothing.</summary>
    /// <exception cref="Errors.IncusTestKitException">The lease could not be released; it stays owned, so the client's
    /// dispose or the process's end tries again.</exception>
    public ValueTask DisposeAsync() => Sandbox.DisposeAsync();

    /// <inheritdoc />
    public override string ToString() => Sandbox.Name;
}
