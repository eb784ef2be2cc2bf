using System.Diagnostics;
using System.Globalization;
using CliWrap;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

/// <summary>
/// A test process killed with SIGKILL leaves nothing behind for long: the crash watcher the fixtures start destroys its
/// sandboxes within seconds, without waiting for the next run, and touches nothing else.
/// </summary>
public sealed class CrashWatcherSpecs
{
    /// <summary>The issue's aim. It takes a few seconds (6.4 s with the machine's load at 25 on 2 cores).</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_sandboxes_of_a_test_process_killed_with_SIGKILL_are_destroyed_within_the_bound_and_nothing_else()
    {
        await IncusDaemon.RequireAsync();
        var live = TestNames.New("watch-live");
        var kept = TestNames.New("watch-kept");
        await using var client = new SandboxClient();
        string[] names = [];
        try
        {
            // Made first: this client's own sweep (once, after its first create) is over before the probe is killed.
            await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = live }, Ct);
            await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = kept, AutoDestroy = false }, Ct);
            await client.ReapLeftoversAsync(cancellationToken: Ct);
            await using var probe = await HeldProbe.StartAsync();
            names = probe.Names;
            var watcher = probe.Watcher;
            // A process group of its own, so a kill of the test process's group or tree does not reach it; the session
            // is the test process's (where the runtime's named mutexes are shared).
            GroupOf(watcher).ShouldBe(watcher);
            SessionOf(watcher).ShouldBe(SessionOf(Environment.ProcessId));

            await probe.KillAsync();
            var killed = Stopwatch.StartNew();

            (await Poll.UntilAsync(async () => !(await ExistingAsync(names)).Any(), Bound))
                .ShouldBeTrue($"still there {Bound.TotalSeconds:0} s after the kill: {string.Join(", ", await ExistingAsync(names))}");
            TestContext.Current.TestOutputHelper!.WriteLine($"Destroyed {killed.Elapsed.TotalSeconds:0.0} s after SIGKILL");
            (await Poll.UntilAsync(() => Task.FromResult(!IsRunning(watcher)), TimeSpan.FromSeconds(10))).ShouldBeTrue("the watcher exits after its sweep");
            (await ExistingAsync([live, kept])).ShouldBe([live, kept], ignoreOrder: true);
        }
        finally
        {
            foreach (var name in names.Append(kept))
                await DestroyIfLeftAsync(client, name);
        }
    }

    [Fact]
    public async Task A_per_test_sandbox_under_ISB_KEEP_ON_FAILURE_is_destroyed_within_the_bound_when_its_test_process_is_killed_with_SIGKILL()
    {
        await IncusDaemon.RequireAsync();
        await using var probe = await HeldProbe.StartAsync("HeldPerTest", new Dictionary<string, string?> { ["ISB_KEEP_ON_FAILURE"] = "1" });
        try
        {
            // Its test has not failed: nothing decided to keep it, so it goes like any other.
            await probe.KillAsync();

            (await Poll.UntilAsync(async () => !(await ExistingAsync(probe.Names)).Any(), Bound))
                .ShouldBeTrue($"still there {Bound.TotalSeconds:0} s after the kill: {string.Join(", ", await ExistingAsync(probe.Names))}");
        }
        finally
        {
            await using var client = new SandboxClient();
            foreach (var name in probe.Names)
                await DestroyIfLeftAsync(client, name);
        }
    }

    [Fact]
    public async Task The_watcher_exits_when_its_test_process_ends_normally()
    {
        await IncusDaemon.RequireAsync();
        await using var probe = await HeldProbe.StartAsync();

        await probe.ReleaseAsync();

        (await Poll.UntilAsync(() => Task.FromResult(!IsRunning(probe.Watcher)), TimeSpan.FromSeconds(15))).ShouldBeTrue("the watcher outlived its process");
        (await ExistingAsync(probe.Names)).ShouldBeEmpty();
    }

    private static bool IsRunning(int pid) => StatOf(pid) is { } stat && stat.Split(' ')[2] is not ("Z" or "X");

    /// <summary>Field 6 of /proc/PID/stat (fields counted after the command's closing parenthesis).</summary>
    private static int GroupOf(int pid) => int.Parse(StatOf(pid)!.Split(' ')[4], CultureInfo.InvariantCulture);

    private static int SessionOf(int pid) => int.Parse(StatOf(pid)!.Split(' ')[5], CultureInfo.InvariantCulture);

    private static string? StatOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return "x x " + stat[(stat.LastIndexOf(')') + 2)..]; // pid and comm, as two plain fields
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyList<string>> ExistingAsync(IEnumerable<string> names)
    {
        await using var client = new SandboxClient();
        var all = (await client.ListAsync(prefix: "isbt-", cancellationToken: Ct)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return [.. names.Where(all.Contains)];
    }

    private static async Task DestroyIfLeftAsync(SandboxClient client, string name)
    {
        try
        {
            await client.DestroyAsync(name, cancellationToken: CancellationToken.None);
        }
        catch (SandboxNotFoundException)
        {
        }
    }
}
