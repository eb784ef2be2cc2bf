using IncusTestKit.Client;
using IncusTestKit.Errors;
using IncusTestKit.Sharing;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    private const int KeepAttempts = 5;

    private int _kept;

    /// <summary>
    /// Hands an auto-destroy sandbox over to the caller to keep, for example to look into after a failed test: from
    /// here on neither disposing this handle, nor the client's dispose, nor the process's end, nor its crash watcher, nor
    /// a leftover sweep (<see cref="SandboxClient.ReapLeftoversAsync"/>, <c>dotnet isb gc</c>) destroys it, as if it had
    /// been created with <see cref="SandboxOptions.AutoDestroy"/> false. Until this call it is destroyed as usual, even
    /// when the process is killed with SIGKILL, so a sandbox is kept only once something decided to keep it. Destroy it
    /// later with <see cref="DestroyAsync"/> or <c>dotnet isb destroy NAME</c>. Keeping a sandbox that is not auto-destroy,
    /// or one already kept, does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call; the sandbox then stays auto-destroy.</param>
    /// <exception cref="SandboxNotFoundException">It no longer exists (an instance of the same name made by another create is not it).</exception>
    /// <exception cref="InvalidOperationException">It is a shared sandbox (<see cref="SandboxClient.AcquireSharedAsync"/>): other processes may hold it, so it cannot be kept by one.</exception>
    public async Task KeepAsync(CancellationToken cancellationToken = default)
    {
        if (_owned is null || Volatile.Read(ref _kept) == 1)
            return;
        // Without its owner label no sweep or crash watcher looks at it any more (see LeftoverReaper); the guard keeps a
        // change made since the read (a sweep that judged the owner gone took it over) from being overwritten.
        var change = await _client.Incus.Instances.ChangeConfigAsync(Name, instance =>
        {
            if (instance.Config.GetValueOrDefault(SandboxLabels.CreateId) != CreateId)
                return null; // another create's instance of the same name
            if (instance.Config.ContainsKey(SharedLabels.Key))
            {
                throw new InvalidOperationException(
                    $"Sandbox '{Name}' is shared: other processes may hold it, so one of them cannot keep it. Create a sandbox of its own to keep.");
            }
            return new() { [SandboxLabels.Owner] = "", [SandboxLabels.AutoDestroy] = "false" };
        }, _client.Incus.Instances.Context($"Keeping sandbox '{Name}'", Name), KeepAttempts, busyPause: null, cancellationToken).ConfigureAwait(false);
        if (change != GuardedChange.Made)
        {
            throw new SandboxNotFoundException(Name,
                $"Sandbox '{Name}' no longer exists (or the instance now named '{Name}' was made by another create), so it is not kept.");
        }
        Volatile.Write(ref _kept, 1);
        _client.Ownership.Release(_owned);
    }
}
