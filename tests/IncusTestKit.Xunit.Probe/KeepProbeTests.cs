using IncusTestKit.Sandboxes;

namespace IncusTestKit.Xunit.Probe;

/// <summary>
/// A per-test sandbox that writes its name to the file named by ISB_PROBE_NAMES_FILE and holds on until that file is
/// deleted or the process is killed (the specs run it with ISB_KEEP_ON_FAILURE=1 and kill it with SIGKILL).
/// </summary>
public sealed class HeldPerTest() : SandboxTest(new SandboxOptions { Image = "isb/busybox" })
{
    protected override string NamePrefix => "isbt-xp";

    [SandboxFact]
    public async Task Holds_its_sandbox()
    {
        var names = Environment.GetEnvironmentVariable("ISB_PROBE_NAMES_FILE")!;
        await File.WriteAllLinesAsync($"{names}.tmp", [Sandbox.Name], TestContext.Current.CancellationToken);
        File.Move($"{names}.tmp", names);
        while (File.Exists(names))
            await Task.Delay(100, TestContext.Current.CancellationToken);
    }
}

/// <summary>A failing test whose sandbox comes from a warm pool: kept like any other under ISB_KEEP_ON_FAILURE=1.</summary>
public sealed class PooledFailure() : SandboxTest(new SandboxOptions { Image = "isb/busybox", Labels = new Dictionary<string, string> { ["probe"] = "pooled-failure" } })
{
    protected override string NamePrefix => "isbt-xp";

    protected override Pooling.SandboxPoolOptions? Pool => new() { Size = 1 };

    public override async ValueTask InitializeAsync()
    {
        // A member ready before the claim (pools of one configuration share their members), so the test gets a pool
        // member, not the fresh create a claim from an empty pool falls back to.
        await using (var warm = new Pooling.SandboxPool(Client, Options, Pool! with { NamePrefix = NamePrefix }))
        {
            await warm.WarmUpAsync(TestContext.Current.CancellationToken);
            await base.InitializeAsync();
        }
    }

    [SandboxFact]
    public async Task Fails()
    {
        (await RunCommandAsync("echo pooled=$(hostname)")).EnsureSuccess();
        Assert.Fail("this test fails on purpose");
    }
}
