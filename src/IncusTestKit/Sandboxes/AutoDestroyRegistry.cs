using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// Destroys auto-destroy sandboxes still alive when the process ends: on a normal exit, and on SIGINT
/// (Ctrl-C) and SIGTERM, which reach the process exit path in .NET. Time-bounded, so a dead daemon cannot
/// hold the process hostage. The sandboxes of a killed process (SIGKILL) are found by their session label.
/// </summary>
internal static class AutoDestroyRegistry
{
    private static readonly ConcurrentDictionary<Sandbox, byte> Live = new();
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);
    private static int _hooked;
    // Held so the registrations are not collected (which would unregister them).
    private static PosixSignalRegistration? _sigint;
    private static PosixSignalRegistration? _sigterm;

    public static void Register(Sandbox sandbox)
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
            Hook();
        Live[sandbox] = 0;
    }

    public static void Unregister(Sandbox sandbox) => Live.TryRemove(sandbox, out _);

    private static void Hook()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DestroyAll();
        // Cleanup first, then the signal's normal course (the application may still cancel it).
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => DestroyAll());
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => DestroyAll());
    }

    internal static void DestroyAll()
    {
        var sandboxes = Live.Keys.ToArray();
        if (sandboxes.Length == 0)
            return;
        using var budget = new CancellationTokenSource(Budget);
        var destroys = sandboxes.Select(async sandbox =>
        {
            try
            {
                await sandbox.Client.DestroyInstanceAsync(sandbox.Name, force: true, deleteSnapshots: true, budget.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Best effort at exit: a gone sandbox or an unreachable daemon must not crash the shutdown.
            }
            sandbox.MarkDestroyed();
        });
        try
        {
            Task.WhenAll(destroys).Wait(Budget);
        }
        catch (AggregateException)
        {
            // Reported per sandbox above.
        }
    }
}
