using IncusTestKit.Tests.Infrastructure;

namespace IncusTestKit.Xunit.Tests.Infrastructure;

/// <summary>
/// One probe run of some classes, started by the first spec that asks and shared by the specs of a class that only read
/// its results (one process and one set of sandboxes instead of one per spec).
/// </summary>
#pragma warning disable CA1816 // xUnit owns the fixture's life; nothing derives with a finalizer
public abstract class SharedProbeRun(IReadOnlyList<string> classes, IReadOnlyDictionary<string, string?>? environment = null, bool diagnostics = false)
    : IAsyncLifetime
{
    private ProbeRun? _run;

    public async Task<ProbeRun> GetAsync()
    {
        await IncusDaemon.RequireAsync();
        return _run ??= await ProbeRun.StartAsync(classes, environment, diagnostics);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
