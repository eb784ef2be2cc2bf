using IncusTestKit.Client.Models;
using IncusTestKit.Pooling;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Pooling;

/// <summary>
/// A warm pool hands out ready sandboxes of its configuration, each to one claimer only, across clients and processes,
/// and leaves nothing behind: not what it made, not what a cancelled claim took.
/// </summary>
public sealed class SandboxPoolSpecs
{
    private static readonly TimeSpan WarmUpBound = TimeSpan.FromSeconds(120);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Acquiring_from_a_warm_pool_gives_a_running_sandbox_of_its_configuration_claimed_by_this_process()
    {
        await IncusDaemon.RequireAsync();
        await using var run = new PoolRun("pool-get");
        await using var client = new SandboxClient();
        await using var pool = new SandboxPool(client, run.Options, run.PoolOptions(size: 1));
        await WarmUpAsync(pool);
        var ready = (await run.MembersAsync()).Single();

        await using var sandbox = await pool.AcquireAsync(Ct);

        sandbox.Name.ShouldBe(ready.Name);
        (await sandbox.GetStateAsync(Ct)).ShouldBe(SandboxState.Running);
        sandbox.AutoDestroy.ShouldBeTrue();
        sandbox.IPv4Address.ShouldNotBeNull();
        sandbox.Labels["isbt-run"].ShouldBe(run.Prefix);
        (await sandbox.RunCommandAsync(["true"], cancellationToken: Ct)).ExitCode.ShouldBe(0);
        var config = (await run.MembersAsync()).Single(m => m.Name == sandbox.Name).Config;
        config["user.isb.pool"].ShouldBe(pool.Key);
        config["user.isb.pool-state"].ShouldBe("claimed");
        config["user.isb.owner"].ShouldBe(OwnerProcess.CurrentValue);
    }

    [Fact]
    public async Task Concurrent_acquires_through_two_clients_never_get_the_same_sandbox()
    {
        await IncusDaemon.RequireAsync();
        await using var run = new PoolRun("pool-race");
        await using var first = new SandboxClient();
        await using var second = new SandboxClient();
        await using var firstPool = new SandboxPool(first, run.Options, run.PoolOptions(size: 3));
        // Size 0: this pool only claims, so both race for the same three ready members.
        await using var secondPool = new SandboxPool(second, run.Options, run.PoolOptions(size: 0));
        await WarmUpAsync(firstPool);
        var ready = (await run.MembersAsync()).Select(m => m.Name).ToList();
        ready.Count.ShouldBe(3);

        var acquires = Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? firstPool : secondPool).AcquireAsync(Ct)).ToList();
        var sandboxes = await Task.WhenAll(acquires);
        try
        {
            var names = sandboxes.Select(s => s.Name).ToList();
            names.Distinct().Count().ShouldBe(6, string.Join(", ", names));
            // Every ready member went to exactly one claimer; the others were created directly.
            names.Count(ready.Contains).ShouldBe(3, string.Join(", ", names));
            var members = await run.MembersAsync();
            foreach (var name in ready)
                members.Single(m => m.Name == name).Config["user.isb.pool-state"].ShouldBe("claimed");
        }
        finally
        {
            foreach (var sandbox in sandboxes)
                await sandbox.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_member_of_another_configuration_is_never_handed_out()
    {
        await IncusDaemon.RequireAsync();
        await using var run = new PoolRun("pool-mix");
        await using var client = new SandboxClient();
        await using var warm = new SandboxPool(client, run.Options, run.PoolOptions(size: 1));
        await WarmUpAsync(warm);
        var other = run.Options with { Limits = run.Options.Limits with { Processes = 500 } };
        await using var empty = new SandboxPool(client, other, run.PoolOptions(size: 0));
        empty.Key.ShouldNotBe(warm.Key);

        await using var sandbox = await empty.AcquireAsync(Ct);

        var members = await run.MembersAsync();
        var member = members.Single(m => m.Config.GetValueOrDefault("user.isb.pool") == warm.Key);
        sandbox.Name.ShouldNotBe(member.Name);
        member.Config["user.isb.pool-state"].ShouldBe("ready");
        (await PoolRun.ConfigOfAsync(sandbox.Name))["limits.processes"].ShouldBe("500");
    }

    [Fact]
    public async Task Disposing_an_acquired_sandbox_destroys_it_and_the_pool_makes_another()
    {
        await IncusDaemon.RequireAsync();
        await using var run = new PoolRun("pool-drop");
        await using var client = new SandboxClient();
        await using var pool = new SandboxPool(client, run.Options, run.PoolOptions(size: 1));
        await WarmUpAsync(pool);

        var sandbox = await pool.AcquireAsync(Ct);
        await sandbox.DisposeAsync();

        (await run.MembersAsync()).ShouldNotContain(m => m.Name == sandbox.Name);
        client.Ownership.Owned.ShouldNotContain(o => o.Name == sandbox.Name);
        await WarmUpAsync(pool);
        (await run.MembersAsync()).Single().Name.ShouldNotBe(sandbox.Name);
    }

    [Fact]
    public async Task Disposing_the_pool_destroys_its_unclaimed_members_and_leaves_claimed_ones_to_their_holders()
    {
        await IncusDaemon.RequireAsync();
        await using var run = new PoolRun("pool-end");
        await using var client = new SandboxClient();
        await using var claimer = new SandboxClient();
        var pool = new SandboxPool(client, run.Options, run.PoolOptions(size: 2));
        await WarmUpAsync(pool);
        await using var taker = new SandboxPool(claimer, run.Options, run.PoolOptions(size: 0));
        var taken = await taker.AcquireAsync(Ct);

        await pool.DisposeAsync();

        (await run.MembersAsync()).Select(m => m.Name).ShouldBe([taken.Name]);
        (await taken.RunCommandAsync(["true"], cancellationToken: Ct)).ExitCode.ShouldBe(0);
        client.Ownership.Owned.ShouldBeEmpty();
        await taken.DisposeAsync();
        (await run.MembersAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Disposing_the_pool_while_members_are_being_created_leaves_nothing()
    {
        await IncusDaemon.RequireAsync();
        await using var run = new PoolRun("pool-quit");
        await using var client = new SandboxClient();
        var pool = new SandboxPool(client, run.Options, run.PoolOptions(size: 2));
        (await Poll.UntilAsync(async () => (await run.MembersAsync()).Count > 0, TimeSpan.FromSeconds(30))).ShouldBeTrue("no member was being created");

        await pool.DisposeAsync();

        client.Ownership.Owned.ShouldBeEmpty();
        for (var i = 0; i < 10; i++)
        {
            (await run.MembersAsync()).ShouldBeEmpty();
            await Task.Delay(TimeSpan.FromMilliseconds(200), Ct);
        }
    }

    [Fact]
    public async Task A_cancelled_acquire_leaves_nothing_owned_and_nothing_claimed()
    {
        await IncusDaemon.RequireAsync();
        await using var run = new PoolRun("pool-cancel");
        await using var client = new SandboxClient();
        await using var claimer = new SandboxClient();
        await using var pool = new SandboxPool(client, run.Options, run.PoolOptions(size: 1));
        await using var taker = new SandboxPool(claimer, run.Options, run.PoolOptions(size: 0));
        var cancelled = 0;
        // Cancelled at moments spread over a claim's few requests: before, between and after them.
        for (var delay = 0; delay <= 24; delay += 3)
        {
            await WarmUpAsync(pool);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(delay));
            try
            {
                await using var sandbox = await taker.AcquireAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
            claimer.Ownership.Owned.ShouldBeEmpty($"cancelled after {delay} ms");
            (await Poll.UntilAsync(async () => !(await run.MembersAsync()).Any(m => m.Config.GetValueOrDefault("user.isb.pool-state") == "claimed"),
                TimeSpan.FromSeconds(30))).ShouldBeTrue($"a claimed member was left after a cancel at {delay} ms");
        }
        cancelled.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Two_changes_guarded_by_the_same_read_cannot_both_succeed()
    {
        await IncusDaemon.RequireAsync();
        await using var run = new PoolRun("pool-etag");
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(run.Options with { Name = run.Prefix }, Ct);
        var (instance, etag) = await client.Incus.Instances.GetWithEtagAsync(sandbox.Name, Ct);
        etag.ShouldNotBeNull();

        Task Change(string value) => client.Incus.Instances.PatchAsync(sandbox.Name,
            new InstancePatch { Config = new() { ["user.isbt-claim"] = value }, Description = instance.Description },
            client.Incus.Instances.Context("Changing", sandbox.Name), etag, Ct);
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(async i =>
        {
            try
            {
                await Change($"claimer-{i}");
                return true;
            }
            catch (Errors.IncusTestKitException e) when (e.Condition == IncusTestKit.Client.DaemonCondition.ChangedSinceRead)
            {
                return false;
            }
        }));

        results.Count(r => r).ShouldBe(1);
    }

    private static async Task WarmUpAsync(SandboxPool pool)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bound.CancelAfter(WarmUpBound);
        await pool.WarmUpAsync(bound.Token);
    }

    /// <summary>One test's pool: a name prefix and a label of its own (so its key is its own), and a cleanup of whatever has the prefix.</summary>
    private sealed class PoolRun(string purpose) : IAsyncDisposable
    {
        public string Prefix { get; } = TestNames.New(purpose);

        public SandboxOptions Options => new()
        {
            Image = TestImages.Busybox,
            Labels = new Dictionary<string, string> { ["isbt-run"] = Prefix },
        };

        public SandboxPoolOptions PoolOptions(int size) => new() { Size = size, NamePrefix = Prefix };

        public async Task<List<Instance>> MembersAsync()
        {
            await using var client = new SandboxClient();
            var all = await client.Incus.Instances.ListPlainAsync(null, CancellationToken.None);
            return all.Where(i => i.Name.StartsWith(Prefix, StringComparison.Ordinal)).ToList();
        }

        public static async Task<Dictionary<string, string>> ConfigOfAsync(string name)
        {
            await using var client = new SandboxClient();
            return (await client.Incus.Instances.GetPlainAsync(name, CancellationToken.None)).Config;
        }

        public async ValueTask DisposeAsync()
        {
            await using var client = new SandboxClient();
            foreach (var left in await client.ListAsync(prefix: Prefix, cancellationToken: CancellationToken.None))
            {
                try
                {
                    await client.DestroyAsync(left.Name, cancellationToken: CancellationToken.None);
                }
                catch (Errors.SandboxNotFoundException)
                {
                }
            }
        }
    }
}
