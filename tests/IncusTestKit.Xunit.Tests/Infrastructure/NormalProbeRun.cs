using IncusTestKit.Tests.Infrastructure;

namespace IncusTestKit.Xunit.Tests.Infrastructure;

/// <summary>
/// One probe run against the real daemon, with diagnostic messages on, shared by the specs that only read its results
/// (one process and one set of sandboxes instead of one per spec).
/// </summary>
public sealed class NormalProbeRun : IAsyncLifetime
{
    private ProbeRun? _run;

    public async Task<ProbeRun> GetAsync()
    {
        await IncusDaemon.RequireAsync();
        return _run ??= await ProbeRun.StartAsync(
            [
                "DirectCreate", "MissingImageTests", "PerTestMissingImage", "VirtualMachineTests", "BrokenMountTests", "PerTestOutput", "ClassFixtureTests",
                "FirstInCollection", "SecondInCollection", "ParallelFirst", "ParallelSecond",
            ],
            diagnostics: true);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
