using System.Globalization;
using CliWrap;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Sharing;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sharing;

/// <summary>
/// A shared sandbox: one per configuration for every process that asks for it, never duplicated by a race, gone when its
/// last live holder is, and never taken from under a live one.
/// </summary>
public sealed class SharedSandboxSpecs
{
    private static readonly string Probe = Path.Combine(AppContext.BaseDirectory, "IncusTestKit.ExitProbe.dll");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Four_processes_started_at_once_share_exactly_one_sandbox_which_goes_when_the_last_releases_it()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("share");
        var probes = new List<RunningProbe>();
        try
        {
            probes.AddRange(await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => StartProbeAsync(prefix))));

            probes.Select(p => p.Sandbox).Distinct().ShouldHaveSingleItem();
            probes.Count(p => p.Created).ShouldBe(1);
            (await ListAsync(prefix)).ShouldBe([probes[0].Sandbox]);

            // A SIGTERM runs the process's exit cleanup: it releases its lease, and destroys only what nobody else holds.
            foreach (var probe in probes.Take(3))
            {
                await probe.SignalAsync("TERM");
                (await ListAsync(prefix)).ShouldBe([probes[0].Sandbox]);
            }
            await probes[3].SignalAsync("TERM");
            (await ListAsync(prefix)).ShouldBeEmpty();
        }
        finally
        {
            await CleanUpAsync(prefix, probes);
        }
    }

    [Fact]
    public async Task A_holder_killed_with_SIGKILL_keeps_it_only_while_another_holder_lives()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("share-kill");
        var probes = new List<RunningProbe>();
        try
        {
            probes.AddRange(await Task.WhenAll(StartProbeAsync(prefix), StartProbeAsync(prefix)));
            var name = probes[0].Sandbox;
            await using var sweeper = new SandboxClient();

            await probes[0].SignalAsync("KILL");
            var sweep = await sweeper.ReapLeftoversAsync(cancellationToken: Ct);

            sweep.Error.ShouldBeNull();
            sweep.Leftovers.Select(l => l.Name).ShouldNotContain(name);
            (await ListAsync(prefix)).ShouldBe([name], "a live process still holds it");

            await probes[1].SignalAsync("KILL");
            var dryRun = await sweeper.ReapLeftoversAsync(dryRun: true, Ct);
            // Another test process's sweep may have destroyed it first; if not, the dry run names it and why.
            if (dryRun.Leftovers.SingleOrDefault(l => l.Name == name) is { } leftover)
                leftover.Reason.ShouldBe($"it was shared, and every process that held it has ended ({string.Join(", ", probes.Select(p => p.Pid).Order())})");
            else
                (await ListAsync(prefix)).ShouldBeEmpty();
            sweep = await sweeper.ReapLeftoversAsync(cancellationToken: Ct);

            sweep.Error.ShouldBeNull();
            sweep.Failed.ShouldBeEmpty();
            // Any sweep may be the one that deletes it (every client of this test run sweeps once): it goes, whoever does it.
            (await Poll.UntilAsync(async () => (await ListAsync(prefix)).Count == 0, TimeSpan.FromSeconds(30))).ShouldBeTrue("the sandbox should be gone");
        }
        finally
        {
            await CleanUpAsync(prefix, probes);
        }
    }

    [Fact]
    public async Task The_same_configuration_is_joined_and_another_configuration_gets_its_own_sandbox()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("share-cfg");
        await using var first = new SandboxClient();
        await using var second = new SandboxClient();
        try
        {
            var options = Options(prefix);
            await using var created = await first.AcquireSharedAsync(options, Shared(prefix), Ct);
            await using var joined = await second.AcquireSharedAsync(options, Shared(prefix), Ct);
            await using var other = await second.AcquireSharedAsync(options with { Limits = new SandboxLimits { Processes = 500 } }, Shared(prefix), Ct);

            created.Created.ShouldBeTrue();
            joined.Created.ShouldBeFalse();
            joined.Sandbox.Name.ShouldBe(created.Sandbox.Name);
            joined.Key.ShouldBe(created.Key);
            other.Created.ShouldBeTrue();
            other.Sandbox.Name.ShouldNotBe(created.Sandbox.Name);
            (await ListAsync(prefix)).Count.ShouldBe(2);
            (await joined.Sandbox.RunCommandAsync("echo shared > /tmp/mark", cancellationToken: Ct)).EnsureSuccess();
            (await created.Sandbox.RunCommandAsync("cat /tmp/mark", cancellationToken: Ct)).Stdout.Trim().ShouldBe("shared");

            await created.DisposeAsync();
            (await ListAsync(prefix)).ShouldContain(created.Sandbox.Name, "the second client still holds it");
            await joined.DisposeAsync();
            (await ListAsync(prefix)).ShouldNotContain(created.Sandbox.Name);
        }
        finally
        {
            await CleanUpAsync(prefix, []);
        }
    }

    [Fact]
    public async Task A_sandbox_past_its_time_to_live_takes_no_new_user_and_goes_with_its_last_one()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("share-ttl");
        await using var client = new SandboxClient();
        try
        {
            var shared = Shared(prefix) with { TimeToLive = TimeSpan.FromSeconds(2) };
            await using var old = await client.AcquireSharedAsync(Options(prefix), shared, Ct);
            await WaitPastAsync(old.ExpiresAt);

            await using var fresh = await client.AcquireSharedAsync(Options(prefix), shared, Ct);

            fresh.Created.ShouldBeTrue();
            old.Sandbox.Name.ShouldEndWith("-1");
            fresh.Sandbox.Name.ShouldBe(old.Sandbox.Name[..^1] + "2");
            (await ListAsync(prefix)).Count.ShouldBe(2, "the expired one stays while it is held");
            await old.DisposeAsync();
            (await ListAsync(prefix)).ShouldBe([fresh.Sandbox.Name]);
            await fresh.DisposeAsync();
            (await ListAsync(prefix)).ShouldBeEmpty();
        }
        finally
        {
            await CleanUpAsync(prefix, []);
        }
    }

    [Fact]
    public async Task A_stopped_shared_sandbox_is_not_joined_and_goes_with_its_last_user()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("share-stop");
        await using var client = new SandboxClient();
        try
        {
            await using var stopped = await client.AcquireSharedAsync(Options(prefix), Shared(prefix), Ct);
            await stopped.Sandbox.StopAsync(force: true, cancellationToken: Ct);

            await using var fresh = await client.AcquireSharedAsync(Options(prefix), Shared(prefix), Ct);

            fresh.Created.ShouldBeTrue();
            fresh.Sandbox.Name.ShouldNotBe(stopped.Sandbox.Name);
            await stopped.DisposeAsync();
            (await ListAsync(prefix)).ShouldBe([fresh.Sandbox.Name]);
        }
        finally
        {
            await CleanUpAsync(prefix, []);
        }
    }

    [Fact]
    public async Task A_holder_this_machine_cannot_judge_keeps_it_only_until_its_time_to_live_ends()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("share-far");
        await using var client = new SandboxClient();
        try
        {
            await using var lease = await client.AcquireSharedAsync(Options(prefix), Shared(prefix) with { TimeToLive = TimeSpan.FromSeconds(10) }, Ct);
            var name = lease.Sandbox.Name;
            var leaseKey = (await ConfigKeysAsync(name)).Single(k => k.StartsWith("user.isb.lease.", StringComparison.Ordinal));
            // As if its holder ran on another host: nothing here can tell whether it is alive.
            var elsewhere = (OwnerProcess.Current! with { Host = "another-host" }).ToString();
            await Cli.Wrap("incus").WithArguments(["config", "set", name, $"{leaseKey}={elsewhere}"]).ExecuteAsync(Ct);
            await using var sweeper = new SandboxClient();

            (await sweeper.ReapLeftoversAsync(cancellationToken: Ct)).Leftovers.Select(l => l.Name).ShouldNotContain(name);
            (await ListAsync(prefix)).ShouldBe([name]);

            await WaitPastAsync(lease.ExpiresAt);
            var sweep = await sweeper.ReapLeftoversAsync(cancellationToken: Ct);

            sweep.Failed.ShouldBeEmpty();
            // Any sweep may be the one that deletes it (every client of this test run sweeps once): it goes, whoever does it.
            (await Poll.UntilAsync(async () => (await ListAsync(prefix)).Count == 0, TimeSpan.FromSeconds(30))).ShouldBeTrue("the sandbox should be gone");
        }
        finally
        {
            await CleanUpAsync(prefix, []);
        }
    }

    [Fact]
    public async Task A_shared_sandbox_cannot_be_named_or_kept()
    {
        await using var client = new SandboxClient();

        await Should.ThrowAsync<ArgumentException>(() => client.AcquireSharedAsync(new SandboxOptions { Name = "isbt-named" }, cancellationToken: Ct));
        await Should.ThrowAsync<ArgumentException>(() => client.AcquireSharedAsync(new SandboxOptions { AutoDestroy = false }, cancellationToken: Ct));
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => client.AcquireSharedAsync(null, new SharedSandboxOptions { TimeToLive = TimeSpan.Zero }, Ct));
        await Should.ThrowAsync<InvalidNameException>(() => client.AcquireSharedAsync(null, new SharedSandboxOptions { NamePrefix = "no_underscores" }, Ct));
    }

    private static SandboxOptions Options(string prefix) =>
        new() { Image = TestImages.Busybox, Labels = new Dictionary<string, string> { ["isbt"] = prefix } };

    private static SharedSandboxOptions Shared(string prefix) => new() { NamePrefix = prefix };

    /// <summary>A probe process holding a lease on the shared sandbox of <paramref name="prefix"/>, once it said so.</summary>
    private static async Task<RunningProbe> StartProbeAsync(string prefix)
    {
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        var task = Cli.Wrap("dotnet").WithArguments([Probe, prefix, "shared"])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => { if (line.StartsWith("ready ", StringComparison.Ordinal)) ready.TrySetResult(line); }))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(errors))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(Ct);
        _ = task.Task.ContinueWith(t => ready.TrySetException(new InvalidOperationException($"The probe ended before it was ready: {errors}")), TaskScheduler.Default);
        var line = (await ready.Task.WaitAsync(TimeSpan.FromSeconds(120), Ct)).Split(' ');
        return new RunningProbe(task, line[1], line[2] == "created");
    }

    private sealed record RunningProbe(CommandTask<CommandResult> Task, string Sandbox, bool Created)
    {
        public int Pid => Task.ProcessId;

        public async Task SignalAsync(string signal)
        {
            await Cli.Wrap("kill").WithArguments([$"-{signal}", Pid.ToString(CultureInfo.InvariantCulture)]).ExecuteAsync(Ct);
            await Task.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        }
    }

    private static async Task<List<string>> ListAsync(string prefix)
    {
        await using var client = new SandboxClient();
        return [.. (await client.ListAsync(prefix: prefix + "-", cancellationToken: Ct)).Select(s => s.Name)];
    }

    private static async Task<string[]> ConfigKeysAsync(string name)
    {
        var output = new System.Text.StringBuilder();
        await Cli.Wrap("incus").WithArguments(["config", "show", name]).WithStandardOutputPipe(PipeTarget.ToStringBuilder(output)).ExecuteAsync(Ct);
        return [.. output.ToString().Split('\n').Select(l => l.Trim()).Where(l => l.Contains(':', StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)])];
    }

    private static async Task CleanUpAsync(string prefix, IEnumerable<RunningProbe> probes)
    {
        foreach (var probe in probes.Where(p => !p.Task.Task.IsCompleted))
        {
            await Cli.Wrap("kill").WithArguments(["-KILL", probe.Pid.ToString(CultureInfo.InvariantCulture)])
                .WithValidation(CommandResultValidation.None).ExecuteAsync(CancellationToken.None);
        }
        await using var client = new SandboxClient();
        foreach (var sandbox in await client.ListAsync(prefix: prefix + "-", cancellationToken: CancellationToken.None))
        {
            try
            {
                await client.DestroyAsync(sandbox.Name, cancellationToken: CancellationToken.None);
            }
            catch (SandboxNotFoundException)
            {
            }
        }
    }

    // On a loaded machine the acquire itself can outlast a short time-to-live: then there is nothing left to wait for.
    private static async Task WaitPastAsync(DateTimeOffset moment)
    {
        if (moment + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow is { Ticks: > 0 } wait)
            await Task.Delay(wait, Ct);
    }
}
