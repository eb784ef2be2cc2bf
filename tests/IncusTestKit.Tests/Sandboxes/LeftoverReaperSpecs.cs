using CliWrap;
using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>
/// Leftovers of processes killed with SIGKILL are destroyed by the next sweep on this machine; nothing else is: not
/// sandboxes made to be kept, not those of live processes, not those of other machines.
/// </summary>
public sealed class LeftoverReaperSpecs
{
    private static readonly string Probe = Path.Combine(AppContext.BaseDirectory, "IncusTestKit.ExitProbe.dll");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_auto_destroy_sandbox_of_a_process_killed_with_SIGKILL_is_destroyed_by_the_sweep()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("reap-kill");
        try
        {
            await RunProbeAndKillAsync(name, "wait");

            await using var client = new SandboxClient();
            var result = await client.ReapLeftoversAsync(cancellationToken: Ct);

            result.Error.ShouldBeNull();
            result.Failed.ShouldBeEmpty();
            await ShouldGoAsync(name);
            // Another process's sweep may have been first: then it is not in this result, but it is gone all the same.
            if (result.Leftovers.SingleOrDefault(l => l.Name == name) is { } leftover)
                leftover.Reason.ShouldStartWith("its owner, process ");
        }
        finally
        {
            await DestroyIfLeftAsync(name);
        }
    }

    [Fact]
    public async Task A_dry_run_lists_the_leftover_and_destroys_nothing()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("reap-dry");
        try
        {
            await CreateLeftoverAsync(name, EarlierBoot);
            // Other processes' sweeps run meanwhile: they must not take it away from under this one.
            await OwnershipSpecs.ProtectAsync(name, true);
            await using var client = new SandboxClient();

            var result = await client.ReapLeftoversAsync(dryRun: true, Ct);

            result.Error.ShouldBeNull();
            result.Leftovers.ShouldContain(new LeftoverSandbox(name, $"its owner, process {Environment.ProcessId}, ran before this machine last booted"));
            result.Failed.ShouldBeEmpty();
            (await ExistsAsync(name)).ShouldBeTrue();
        }
        finally
        {
            await OwnershipSpecs.ProtectAsync(name, false);
            await DestroyIfLeftAsync(name);
        }
    }

    [Fact]
    public async Task Sandboxes_of_live_owners_kept_sandboxes_and_owners_elsewhere_are_untouched()
    {
        await IncusDaemon.RequireAsync();
        var live = TestNames.New("reap-live");
        var kept = TestNames.New("reap-kept");
        var elsewhere = TestNames.New("reap-host");
        var otherNamespace = TestNames.New("reap-pidns");
        var earlierBoot = TestNames.New("reap-boot");
        var self = OwnerProcess.Current!;
        var ended = self with { Pid = int.MaxValue - 1 };
        try
        {
            // A sandbox made to be kept outlives its process, however it ended.
            await RunProbeAndKillAsync(kept, "keep");
            await using var owner = new SandboxClient();
            await owner.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = live }, Ct);
            await CreateLeftoverAsync(elsewhere, (ended with { Host = "another-host" }).ToString());
            await CreateLeftoverAsync(otherNamespace, (ended with { PidNamespace = "4026530000" }).ToString());
            await CreateLeftoverAsync(earlierBoot, EarlierBoot);

            await using var sweeper = new SandboxClient();
            var result = await sweeper.ReapLeftoversAsync(cancellationToken: Ct);

            result.Error.ShouldBeNull();
            result.Leftovers.Select(l => l.Name).ShouldNotContain(n => n == live || n == kept || n == elsewhere || n == otherNamespace);
            (await ExistsAsync(live)).ShouldBeTrue();
            (await ExistsAsync(kept)).ShouldBeTrue();
            (await ConfigAsync(kept, "user.isb.owner")).ShouldBeEmpty();
            (await ExistsAsync(elsewhere)).ShouldBeTrue();
            (await ExistsAsync(otherNamespace)).ShouldBeTrue();
            await ShouldGoAsync(earlierBoot);
        }
        finally
        {
            foreach (var name in new[] { live, kept, elsewhere, otherNamespace, earlierBoot })
                await DestroyIfLeftAsync(name);
        }
    }

    [Fact]
    public async Task A_sandbox_kept_for_inspection_after_a_readiness_timeout_is_no_leftover()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("reap-inspect");
        try
        {
            await using var client = new SandboxClient();
            await Should.ThrowAsync<SandboxTimeoutException>(
                () => client.CreateAsync(new SandboxOptions { Name = name, Image = TestImages.Busybox, Timeout = TimeSpan.FromMilliseconds(1) }, Ct));

            (await ExistsAsync(name)).ShouldBeTrue();
            (await ConfigAsync(name, "user.isb.owner")).ShouldBeEmpty();
        }
        finally
        {
            await DestroyIfLeftAsync(name);
        }
    }

    [Fact]
    public async Task A_sandbox_handed_over_with_KeepAsync_outlives_its_client_and_carries_no_owner_for_a_sweep_to_judge()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("reap-handover");
        try
        {
            await using (var client = new SandboxClient())
            {
                var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, Ct);
                (await ConfigAsync(name, "user.isb.owner")).ShouldNotBeEmpty();

                await sandbox.KeepAsync(Ct);

                sandbox.AutoDestroy.ShouldBeFalse();
                await sandbox.DisposeAsync();
            }
            (await ExistsAsync(name)).ShouldBeTrue();
            (await ConfigAsync(name, "user.isb.owner")).ShouldBeEmpty();
            (await ConfigAsync(name, "user.isb.auto-destroy")).ShouldBe("false");
        }
        finally
        {
            await DestroyIfLeftAsync(name);
        }
    }

    [Fact]
    public async Task A_create_in_flight_when_its_process_is_killed_is_a_leftover()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("reap-post");
        await using var relay = new HeldCreateRelay();
        var probe = Cli.Wrap("dotnet").WithArguments([Probe, name, "wait"])
            .WithEnvironmentVariables(env => env.Set("INCUS_SOCKET", relay.SocketPath))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(Ct);
        try
        {
            await relay.CreateRequested.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            await KillAsync(probe.ProcessId);
            await probe.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            relay.Release();
            (await Poll.UntilAsync(() => ExistsAsync(name), TimeSpan.FromSeconds(30))).ShouldBeTrue("the create request reaches the daemon after its sender died");

            await using var client = new SandboxClient();
            var result = await client.ReapLeftoversAsync(cancellationToken: Ct);

            result.Error.ShouldBeNull();
            result.Failed.ShouldBeEmpty();
            await ShouldGoAsync(name);
        }
        finally
        {
            relay.Release();
            await DestroyIfLeftAsync(name);
        }
    }

    [Fact]
    public async Task Two_sweeps_at_once_both_succeed_and_leave_no_leftover()
    {
        await IncusDaemon.RequireAsync();
        var names = Enumerable.Range(0, 3).Select(_ => TestNames.New("reap-twice")).ToArray();
        try
        {
            await Task.WhenAll(names.Select(n => CreateLeftoverAsync(n, EarlierBoot)));
            await using var first = new SandboxClient();
            await using var second = new SandboxClient();

            var results = await Task.WhenAll(first.ReapLeftoversAsync(cancellationToken: Ct), second.ReapLeftoversAsync(cancellationToken: Ct));

            foreach (var result in results)
            {
                result.Error.ShouldBeNull();
                result.Failed.ShouldBeEmpty();
            }
            foreach (var name in names)
                await ShouldGoAsync(name);
        }
        finally
        {
            foreach (var name in names)
                await DestroyIfLeftAsync(name);
        }
    }

    [Fact]
    public async Task A_client_sweeps_once_by_itself_after_its_first_auto_destroy_create()
    {
        await IncusDaemon.RequireAsync();
        var leftover = TestNames.New("reap-auto");
        var sandbox = TestNames.New("reap-first");
        try
        {
            await CreateLeftoverAsync(leftover, EarlierBoot);
            await using var client = new SandboxClient();
            client.BackgroundSweep.IsCompleted.ShouldBeTrue(); // Constructing a client costs nothing.

            await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = sandbox }, Ct);
            var sweep = client.BackgroundSweep;
            await sweep.WaitAsync(LeftoverReaper.Bound, Ct);

            await ShouldGoAsync(leftover);
            (await ExistsAsync(sandbox)).ShouldBeTrue();
            await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("reap-second"), Ephemeral = true }, Ct);
            client.BackgroundSweep.ShouldBeSameAs(sweep);
        }
        finally
        {
            await DestroyIfLeftAsync(leftover);
            await DestroyIfLeftAsync(sandbox);
        }
    }

    [Fact]
    public async Task A_sweep_that_cannot_reach_the_daemon_reports_it_instead_of_throwing()
    {
        await using var client = new SandboxClient(new SandboxClientOptions { SocketPath = "/nonexistent/isbt/unix.socket" });

        var result = await client.ReapLeftoversAsync(cancellationToken: Ct);

        result.Error.ShouldBeOfType<IncusUnavailableException>();
        result.Leftovers.ShouldBeEmpty();
    }

    /// <summary>An owner label of this machine from before its last boot: certainly gone.</summary>
    private static string EarlierBoot => (OwnerProcess.Current! with { BootId = "00000000-0000-0000-0000-000000000000" }).ToString();

    /// <summary>A sandbox as a killed process would leave it: made by the SDK, with <paramref name="owner"/> as its owner.</summary>
    private static async Task CreateLeftoverAsync(string name, string owner)
    {
        await using var client = new SandboxClient();
        await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name, AutoDestroy = false }, Ct);
        await Cli.Wrap("incus").WithArguments(["config", "set", name, $"user.isb.owner={owner}"]).ExecuteAsync(Ct);
    }

    private static async Task RunProbeAndKillAsync(string name, string mode)
    {
        var ready = new TaskCompletionSource();
        var probe = Cli.Wrap("dotnet").WithArguments([Probe, name, mode])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => { if (line.StartsWith("ready", StringComparison.Ordinal)) ready.TrySetResult(); }))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(Ct);
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await KillAsync(probe.ProcessId);
        await probe.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }

    private static Task KillAsync(int processId) =>
        Cli.Wrap("kill").WithArguments(["-KILL", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExecuteAsync(Ct);

    private static async Task<bool> ExistsAsync(string name)
    {
        await using var client = new SandboxClient();
        return (await client.ListAsync(prefix: name, cancellationToken: Ct)).Any(s => s.Name == name);
    }

    private static async Task<string> ConfigAsync(string name, string key)
    {
        var output = new System.Text.StringBuilder();
        await Cli.Wrap("incus").WithArguments(["config", "get", name, key]).WithStandardOutputPipe(PipeTarget.ToStringBuilder(output)).ExecuteAsync(Ct);
        return output.ToString().Trim();
    }

    private static async Task DestroyIfLeftAsync(string name)
    {
        await using var client = new SandboxClient();
        try
        {
            await client.DestroyAsync(name, cancellationToken: CancellationToken.None);
        }
        catch (SandboxNotFoundException)
        {
        }
    }

    // Every client of this test run sweeps once in the background, so another sweep may be the one deleting a leftover
    // when this one returns: it must go, whichever sweep deletes it.
    private static async Task ShouldGoAsync(string name) =>
        (await Poll.UntilAsync(async () => !await ExistsAsync(name), TimeSpan.FromSeconds(30))).ShouldBeTrue($"{name} should be gone");
}
