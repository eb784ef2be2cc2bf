using System.Globalization;
using CliWrap;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests.Infrastructure;

/// <summary>
/// A probe run of a class that holds its sandboxes (HeldRun, ReusedRun): it writes their names to a file and holds on until
/// the file is deleted (<see cref="ReleaseAsync"/>) or it is killed.
/// </summary>
public sealed class HeldProbe : IAsyncDisposable
{
    private readonly string _namesFile = Path.Combine(Path.GetTempPath(), $"isbt-held-{Guid.NewGuid():N}");
    private readonly CancellationTokenSource _end = new();
    private readonly CommandTask<CommandResult> _run;

    private HeldProbe(string probeClass, IReadOnlyDictionary<string, string?>? environment)
    {
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { ["ISB_PROBE_NAMES_FILE"] = _namesFile };
        // Ended with SIGINT when a spec fails before it ends the probe itself: its exit cleanup destroys its sandboxes.
        _run = ProbeRun.Command([probeClass], variables).ExecuteAsync(CancellationToken.None, _end.Token);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The names of the sandboxes it holds, as it wrote them.</summary>
    public string[] Names { get; private set; } = [];

    /// <summary>The pid of its crash watcher.</summary>

    public int Watcher { get; private set; }

    /// <summary>Starts the probe class and waits until it holds its sandboxes and its crash watcher runs.</summary>
    public static async Task<HeldProbe> StartAsync(string probeClass = "HeldRun", IReadOnlyDictionary<string, string?>? environment = null)
    {
        var probe = new HeldProbe(probeClass, environment);
        try
        {
            await probe.WaitUntilHeldAsync();
            return probe;
        }
        catch
        {
            await probe.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilHeldAsync()
    {
        (await Poll.UntilAsync(() => Task.FromResult(File.Exists(_namesFile) || _run.Task.IsCompleted), TimeSpan.FromSeconds(120)))
            .ShouldBeTrue("the probe made no sandboxes within 120 s");
        _run.Task.IsCompleted.ShouldBeFalse("the probe ended before it held its sandboxes");
        Names = await File.ReadAllLinesAsync(_namesFile, Ct);
        (await Poll.UntilAsync(() => Task.FromResult(WatcherOf(_run.ProcessId) is not null), TimeSpan.FromSeconds(20)))
            .ShouldBeTrue("no crash watcher was started for the probe");
        Watcher = WatcherOf(_run.ProcessId)!.Value;
    }

    /// <summary>Its pid.</summary>
    public int ProcessId => _run.ProcessId;

    /// <summary>Kills it with SIGKILL.</summary>
    public Task KillAsync() =>
        Cli.Wrap("kill").WithArguments(["-KILL", _run.ProcessId.ToString(CultureInfo.InvariantCulture)]).ExecuteAsync(Ct);

    /// <summary>Lets it end normally, and waits until it has.</summary>
    public async Task ReleaseAsync()
    {
        File.Delete(_namesFile);
        await _run.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        File.Delete(_namesFile);
        await _end.CancelAsync();
        try
        {
            await _run.Task.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
        }
        _end.Dispose();
    }

    /// <summary>The crash watcher whose owner is process <paramref name="pid"/>, from /proc.</summary>
    public static int? WatcherOf(int pid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var candidate))
                continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (args.Any(a => a.EndsWith("IncusTestKit.Watcher.dll", StringComparison.Ordinal)) && args.Any(a => a.Contains($";pid={pid};", StringComparison.Ordinal)))
                    return candidate;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return null;
    }
}
