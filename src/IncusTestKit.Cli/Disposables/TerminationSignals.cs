using System.Runtime.InteropServices;

namespace IncusTestKit.Cli.Disposables;

/// <summary>
/// Catches SIGINT, SIGTERM and SIGHUP for as long as it lives: the first one cancels <see cref="Token"/>; none of
/// them ends the process, so a cleanup in progress cannot be cut short by a second Ctrl-C or a repeated kill.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _received = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signal;

    public TerminationSignals()
    {
        _registrations = OperatingSystem.IsWindows()
            ? []
            :
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
                PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
            ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _received.Token;

    /// <summary>Whether a signal arrived.</summary>
    public bool Received => Volatile.Read(ref _signal) != 0;

    /// <summary>The exit code a shell reports for death by the first signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).</summary>
    public int ExitCode => 128 + Volatile.Read(ref _signal);

    /// <summary>The first signal's name, for messages.</summary>
    public string Name => Volatile.Read(ref _signal) switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    };

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var number = context.Signal switch
        {
            PosixSignal.SIGHUP => 1,
            PosixSignal.SIGINT => 2,
            _ => 15,
        };
        if (Interlocked.CompareExchange(ref _signal, number, 0) == 0)
            _received.Cancel();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _received.Dispose();
    }
}
