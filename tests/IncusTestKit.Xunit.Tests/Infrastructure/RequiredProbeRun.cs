using IncusTestKit.Tests.Infrastructure;

namespace IncusTestKit.Xunit.Tests.Infrastructure;

/// <summary>
/// One probe run against the live daemon with <c>ISB_REQUIRE_INCUS=1</c>, of the classes that cannot get a sandbox here
/// (none is created, so it is quick), shared by the specs that read its results.
/// </summary>
public sealed class RequiredProbeRun : IAsyncLifetime
{
    private ProbeRun? _run;

    public async Task<ProbeRun> GetAsync()
    {
        await IncusDaemon.RequireAsync();
        return _run ??= await ProbeRun.StartAsync(
            ["MissingImageTests", "PerTestMissingImage", "VirtualMachineTests"], new Dictionary<string, string?> { ["ISB_REQUIRE_INCUS"] = "1" });
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
