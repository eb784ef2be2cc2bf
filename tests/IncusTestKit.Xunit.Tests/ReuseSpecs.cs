using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Sharing;
using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

/// <summary>A fixture with <see cref="SandboxFixture.Reuse"/> shares its sandbox; one without keeps its own.</summary>
public sealed class ReuseSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reused_fixtures_of_one_configuration_share_a_sandbox_that_goes_with_the_last_of_them()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("xreuse");
        var first = new ReusedBusybox(prefix);
        var second = new ReusedBusybox(prefix);
        var own = new OwnBusybox(prefix);
        try
        {
            await Task.WhenAll(first.InitializeAsync().AsTask(), second.InitializeAsync().AsTask(), own.InitializeAsync().AsTask());

            first.IsReused.ShouldBeTrue();
            second.Sandbox.Name.ShouldBe(first.Sandbox.Name);
            first.Sandbox.Name.ShouldStartWith(prefix + "-");
            own.IsReused.ShouldBeFalse();
            own.Sandbox.Name.ShouldNotBe(first.Sandbox.Name);

            await first.DisposeAsync();
            (await second.RunCommandAsync("true", cancellationToken: Ct)).EnsureSuccess();
            await second.DisposeAsync();
            await Should.ThrowAsync<SandboxNotFoundException>(() => SandboxFixture.Client.GetByNameAsync(first.Sandbox.Name, Ct));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            await own.DisposeAsync();
        }
    }

    [Fact]
    public async Task Test_runs_started_at_once_with_a_reused_fixture_share_one_sandbox_which_goes_when_the_last_run_ends()
    {
        await IncusDaemon.RequireAsync();
        var key = new Dictionary<string, string?> { ["ISB_PROBE_REUSE"] = TestNames.New("xreuse-runs") };
        var runs = new List<HeldProbe>();
        try
        {
            runs.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => HeldProbe.StartAsync("ReusedRun", key))));
            var name = runs[0].Names.Single();

            runs.Select(r => r.Names.Single()).ShouldAllBe(n => n == name);
            (await ReusedAsync()).ShouldBe([name]);
            await runs[0].ReleaseAsync();
            await runs[1].ReleaseAsync();
            (await ReusedAsync()).ShouldBe([name], "the third run still holds it");
            await runs[2].ReleaseAsync();
            (await ReusedAsync()).ShouldBeEmpty();
        }
        finally
        {
            foreach (var run in runs)
                await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_reused_sandbox_goes_within_the_bound_once_every_run_holding_it_is_killed_with_SIGKILL()
    {
        await IncusDaemon.RequireAsync();
        var key = new Dictionary<string, string?> { ["ISB_PROBE_REUSE"] = TestNames.New("xreuse-kill") };
        var runs = new List<HeldProbe>();
        try
        {
            runs.AddRange(await Task.WhenAll(HeldProbe.StartAsync("ReusedRun", key), HeldProbe.StartAsync("ReusedRun", key)));
            var name = runs[0].Names.Single();
            runs[1].Names.ShouldBe([name]);

            await runs[0].KillAsync();
            // Its crash watcher has swept by the time it exits: the sandbox stays, the other run holds it.
            (await Poll.UntilAsync(() => Task.FromResult(HeldProbe.WatcherOf(runs[0].ProcessId) is null), TimeSpan.FromSeconds(45))).ShouldBeTrue();
            (await ReusedAsync()).ShouldBe([name]);
            await runs[1].KillAsync();

            (await Poll.UntilAsync(async () => (await ReusedAsync()).Count == 0, TimeSpan.FromSeconds(45))).ShouldBeTrue("still there 45 s after the last holder was killed");
        }
        finally
        {
            foreach (var run in runs)
                await run.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_reused_repository_fixture_refuses_to_reset_the_workspace_other_processes_may_be_using()
    {
        await IncusDaemon.RequireAsync();
        using var repository = new HostFolder();
        Directory.CreateDirectory(repository[".git"]);
        repository.OpenToAll();
        var fixture = new ReusedRepository(TestNames.New("xreuse-repo"), repository.Path);
        try
        {
            await fixture.InitializeAsync();

            fixture.IsReused.ShouldBeTrue();
            var error = await Should.ThrowAsync<InvalidOperationException>(() => fixture.ResetWorkspaceAsync(Ct));
            error.Message.ShouldContain("is reused");
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    /// <summary>The probe's reused sandboxes (those of other keys are never there at the same time: each spec has its own).</summary>
    private static async Task<List<string>> ReusedAsync() =>
        [.. (await SandboxFixture.Client.ListAsync(prefix: "isbt-xp-reuse-", cancellationToken: Ct)).Select(s => s.Name)];

    private static SandboxOptions Busybox(string prefix) =>
        new() { Image = TestImages.Busybox, Labels = new Dictionary<string, string> { ["isbt"] = prefix } };

    private sealed class ReusedBusybox(string prefix) : SandboxFixture(Busybox(prefix))
    {
        protected override SharedSandboxOptions? Reuse => new() { NamePrefix = prefix };
    }

    private sealed class OwnBusybox(string prefix) : SandboxFixture(Busybox(prefix))
    {
        protected override string NamePrefix => prefix;
    }

    private sealed class ReusedRepository(string prefix, string root) : RepositorySandbox(Busybox(prefix), root)
    {
        protected override SharedSandboxOptions? Reuse => new() { NamePrefix = prefix };
    }
}
