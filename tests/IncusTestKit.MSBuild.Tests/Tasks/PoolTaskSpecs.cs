using IncusTestKit.MSBuild.Tasks;
using IncusTestKit.MSBuild.Tests.Infrastructure;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Microsoft.Build.Framework;
using Shouldly;
using TaskItem = Microsoft.Build.Utilities.TaskItem;

namespace IncusTestKit.MSBuild.Tests.Tasks;

/// <summary>IncusSandboxCreate's Pool: a warm pool in Incus that one build fills and the next claims from.</summary>
public sealed class PoolTaskSpecs : IAsyncLifetime
{
    // A label of this test run makes the pool's configuration (its key) this run's own.
    private readonly string _run = TestNames.New("pool");
    private readonly string _prefix = GeneratedRepository.SandboxPrefix + "pool";

    public async ValueTask InitializeAsync() => await IncusDaemon.RequireAsync();

    [Fact]
    public async Task A_build_claims_from_the_pool_the_previous_build_left_ready_and_its_claimed_sandbox_goes_with_it()
    {
        var first = new RecordingBuildEngine();
        var made = Create(first);
        first.EndBuild(); // Destroys the claimed sandbox; the pool's ready members stay for the next build.
        (await ListAsync()).Select(s => s.Name).ShouldNotContain(made);
        (await Poll.UntilAsync(async () => (await ListAsync()).Any(s => s.State == SandboxState.Running), TimeSpan.FromSeconds(60)))
            .ShouldBeTrue("the first build's pool should have left a ready sandbox");
        var ready = (await ListAsync()).Select(s => s.Name).ToList();

        var second = new RecordingBuildEngine();
        var claimed = Create(second);

        ready.ShouldContain(claimed);
        second.Messages.Where(m => m.Importance == MessageImportance.High).Select(m => m.Message)
            .ShouldContain(m => m!.StartsWith($"Sandbox {claimed} claimed from the warm pool of {TestImages.Busybox}", StringComparison.Ordinal));
        second.EndBuild();
        (await ListAsync()).Select(s => s.Name).ShouldNotContain(claimed);
    }

    [Theory]
    [InlineData("two", null, true, "use a whole number above 0.")]
    [InlineData("21", null, true, "keep at most 20")]
    [InlineData("2", "isbt-msb-named", true, "leave Name empty")]
    [InlineData("2", null, false, "leave DestroyAfterBuild on")]
    public void A_pool_that_cannot_work_is_refused_before_anything_is_created(string pool, string? name, bool destroyAfterBuild, string rule)
    {
        var engine = new RecordingBuildEngine();
        var create = new IncusSandboxCreate { BuildEngine = engine, Image = TestImages.Busybox, Pool = pool, Name = name, DestroyAfterBuild = destroyAfterBuild };

        create.Execute().ShouldBeFalse();

        var error = engine.Errors.ShouldHaveSingleItem();
        error.Code.ShouldBe("ISB1007");
        error.Message.ShouldStartWith($"Pool=\"{pool}\" is not valid: ");
        error.Message.ShouldContain(rule);
        engine.Registered.ShouldBeEmpty();
    }

    public async ValueTask DisposeAsync()
    {
        await using var client = new SandboxClient();
        foreach (var sandbox in await ListAsync())
            await client.DestroyAsync(sandbox.Name, force: true, CancellationToken.None);
    }

    private string Create(RecordingBuildEngine engine)
    {
        var create = new IncusSandboxCreate
        {
            BuildEngine = engine, Image = TestImages.Busybox, NamePrefix = _prefix, Pool = "1",
            Labels = [new TaskItem("run", new Dictionary<string, string> { ["Value"] = _run })],
        };
        create.Execute().ShouldBeTrue(string.Join('\n', engine.Errors.Select(e => e.Message)));
        create.SandboxName.ShouldStartWith(_prefix + "-");
        return create.SandboxName;
    }

    private async Task<IReadOnlyList<SandboxInfo>> ListAsync()
    {
        await using var client = new SandboxClient();
        var all = await client.ListAsync(prefix: _prefix, cancellationToken: CancellationToken.None);
        return all.Where(s => s.Labels.GetValueOrDefault("run") == _run).ToList();
    }
}
