using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using IncusTestKit.Errors;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// The one process-wide hook: when the process exits normally, and on SIGINT (Ctrl-C), SIGTERM and SIGHUP, every live
/// client destroys what it owns (<see cref="SandboxOwnership"/>): creates in flight and auto-destroy sandboxes still
/// alive. Time-bounded, so a dead daemon cannot hold the process hostage; what is left is reported once on standard
/// error with the command that destroys it. The signal then takes its normal course (the application may still cancel
/// it). A killed process (SIGKILL) cleans nothing: its sandboxes carry its <see cref="SandboxLabels.Owner"/> label, and
/// the next <see cref="LeftoverReaper"/> sweep on this machine destroys them.
/// </summary>
internal static class ProcessExitCleanup
{
    /// <summary>How long the whole cleanup may hold the process's end.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    private static readonly ConcurrentDictionary<SandboxOwnership, byte> Clients = new();
    // A signal's cleanup is followed by the exit's: what failed once is reported once, and not waited for twice.
    private static readonly ConcurrentDictionary<OwnedSandbox, byte> Reported = new();
    private static int _hooked;
    // Held so the registrations are not collected (which would unregister them).
    private static PosixSignalRegistration[] _signals = [];

    /// <summary>Includes the client's sandboxes in the cleanup at exit (hooking the process on first use).</summary>
    public static void Track(SandboxOwnership ownership)
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
            Hook();
        Clients.TryAdd(ownership, 0);
    }

    /// <summary>The client is disposed: it cleaned up itself.</summary>
    public static void Untrack(SandboxOwnership ownership) => Clients.TryRemove(ownership, out _);

    private static void Hook()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Run(Console.Error, signal: false);
        if (OperatingSystem.IsWindows())
            return;
        _signals =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Run(Console.Error, signal: true)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Run(Console.Error, signal: true)),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => Run(Console.Error, signal: true)),
        ];
    }

    /// <summary>Destroys what every live client owns, within <see cref="Budget"/>, and reports what is left to <paramref name="report"/>.</summary>
    /// <param name="report">Where to say what is left.</param>
    /// <param name="signal">A signal came, rather than the exit: clients that leave signals to the application are skipped.</param>
    /// <returns>The sandboxes left behind, by name, with why.</returns>
    internal static IReadOnlyDictionary<string, Exception> Run(TextWriter report, bool signal)
    {
        var clients = Clients.Keys.Where(c => !signal || c.DestroyOnSignal).ToArray();
        foreach (var client in clients)
            client.BeginEnding();
        var cleanups = clients.Select(c => c.DestroyAllAsync(close: false, Reported.ContainsKey)).ToArray();
        Task.WaitAll(cleanups, Budget);
        var left = new Dictionary<string, Exception>(StringComparer.Ordinal);
        for (var i = 0; i < clients.Length; i++)
        {
            var failures = cleanups[i].IsCompletedSuccessfully
                ? cleanups[i].Result
                : clients[i].Owned.Where(o => !Reported.ContainsKey(o)).ToDictionary(o => o, Exception (o) => new SandboxTimeoutException(
                    $"Sandbox '{o.Name}' was not destroyed within {Budget.TotalSeconds:0} s of the process's end."));
            foreach (var (sandbox, error) in failures)
            {
                left[sandbox.Name] = error;
                if (!Reported.TryAdd(sandbox, 0))
                    continue;
                try
                {
                    report.WriteLine($"isb: sandbox '{sandbox.Name}' was not destroyed as the process ended ({error.Message.TrimEnd('.')}). " +
                                     $"Destroy it with: {SandboxCleanupException.FixFor(clients[i].Project, sandbox.Name)}");
                }
                catch (IOException)
                {
                    // A terminal that hung up cannot be told; the cleanup of the others goes on.
                }
            }
        }
        return left;
    }
}
