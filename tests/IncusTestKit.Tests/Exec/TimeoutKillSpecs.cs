using System.Security.Cryptography;
using IncusTestKit.Client.Models;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Exec;

/// <summary>
/// A timeout or a cancellation kills the command and everything it started, whatever it does to get away, and the
/// error says exactly what was killed and what that does not cover. Each escape gets a sleep of its own, so a
/// survivor names the escape that worked.
/// </summary>
public sealed class TimeoutKillSpecs(BusyboxSandbox busybox, DebianSandbox debian, NoCgroupSandbox noCgroup, AgentSandbox agent, BusyboxAgentSandbox busyboxAgent)
    : IClassFixture<BusyboxSandbox>, IClassFixture<DebianSandbox>, IClassFixture<NoCgroupSandbox>, IClassFixture<AgentSandbox>, IClassFixture<BusyboxAgentSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly CommandOptions OneSecond = new() { Timeout = TimeSpan.FromSeconds(1) };

    // Each line starts "sleep {n}{tag}" somewhere in the sandbox; n numbers the escape.
    private static readonly (string Name, string Line)[] Escapes =
    [
        ("a child of a shell started with env -i", "env -i sh -c 'sleep 1{0} & wait' &"),
        ("a process started with env -u " + Containment.ExecIdVariable, "env -u " + Containment.ExecIdVariable + " sleep 2{0} &"),
        ("a process in a new session (setsid)", "setsid sleep 3{0} &"),
        ("a double-forked daemon", "sh -c '(sleep 4{0} &) &'"),
        ("a double-forked daemon in a new session with an empty environment", "env -i setsid sh -c '(sleep 5{0} &) &'"),
        ("a nohup process (where nohup exists)", "command -v nohup >/dev/null && nohup sleep 6{0} >/dev/null 2>&1 &"),
        ("the command itself, after closing its output streams", "exec >&- 2>&-; sleep 7{0}"),
    ];

    public static TheoryData<string, string> ImagesAndUsers => new()
    {
        { TestImages.Busybox, "root" },
        { TestImages.Busybox, "sandbox" },
        { TestImages.Debian, "root" },
        { TestImages.Debian, "sandbox" },
        // The same images, their commands through the exec agent.
        { "agent", "root" },
        { "agent", "sandbox" },
        { "busybox-agent", "root" },
        { "busybox-agent", "sandbox" },
    };

    [Theory]
    [MemberData(nameof(ImagesAndUsers))]
    public async Task Nothing_a_command_starts_outlives_its_timeout(string image, string user)
    {
        var sandbox = await (image switch { TestImages.Debian => debian, "agent" => agent, "busybox-agent" => busyboxAgent, _ => (SharedSandboxFixture)busybox }).GetAsync();
        var tag = Tag();

        var error = await Should.ThrowAsync<SandboxTimeoutException>(() => sandbox.RunCommandAsync(
            string.Join('\n', Escapes.Select(e => string.Format(e.Line, tag))), OneSecond with { User = user }, Ct));

        error.Message.ShouldContain("did not finish within 1 s and was killed: ");
        error.Message.ShouldContain("processes in its own cgroup, which holds every process the command started");
        (await SurvivorsAsync(sandbox, tag)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_command_that_closes_its_output_streams_and_keeps_running_is_killed()
    {
        var sandbox = await busybox.GetAsync();
        var tag = Tag();

        var error = await Should.ThrowAsync<SandboxTimeoutException>(() => sandbox.RunCommandAsync(
            $"exec >&- 2>&- </dev/null; sleep 7{tag}", OneSecond, Ct));

        error.Message.ShouldContain("did not finish within 1 s");
        (await SurvivorsAsync(sandbox, tag)).ShouldBeEmpty();
    }

    [Fact]
    public async Task The_error_counts_what_was_killed()
    {
        var sandbox = await busybox.GetAsync();
        var tag = Tag();

        // env replaces itself with sh, which starts one sleep: two processes, both deaf to the SIGTERM that comes first.
        var error = await Should.ThrowAsync<SandboxTimeoutException>(() => sandbox.RunCommandAsync(
            ["env", "-i", "sh", "-c", $"trap '' TERM; sleep 1{tag} & wait"], OneSecond, Ct));

        error.Message.ShouldBe($"Command 'env -i sh -c trap '' TERM; sleep 1{tag} & wait' in sandbox '{sandbox.Name}' did not finish within 1 s and was killed: " +
            "2 processes in its own cgroup, which holds every process the command started (only root in the sandbox can move a process out of it; " +
            "destroying the sandbox is the only absolute kill). Raise CommandOptions.Timeout (--timeout) if it needs longer.");
    }

    [Fact]
    public async Task Cancelling_kills_the_same_way()
    {
        var sandbox = await busybox.GetAsync();
        var tag = Tag();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var options = new CommandOptions
        {
            User = "sandbox",
            // Cancels once the command is running, off the thread that delivers its output.
            OnOutput = (_, _) =>
            {
                cancel.CancelAfter(TimeSpan.FromMilliseconds(200));
                return ValueTask.CompletedTask;
            },
        };

        // Awaited directly: Shouldly replaces the exception of a cancelled task with one of its own.
        var error = await Record.ExceptionAsync(() => sandbox.RunCommandAsync(
            ["env", "-i", "setsid", "sh", "-c", $"echo running; (sleep 1{tag} &) & sleep 2{tag}"], options, cancel.Token));

        var cancelled = error.ShouldBeAssignableTo<OperationCanceledException>().ShouldNotBeNull();
        cancelled.Message.ShouldContain("was cancelled and was killed: ");
        cancelled.Message.ShouldContain(" in its own cgroup, which holds every process the command started");
        (await SurvivorsAsync(sandbox, tag)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_root_process_that_moves_itself_out_of_the_cgroup_survives_and_the_error_says_it_can()
    {
        var sandbox = await busybox.GetAsync();
        var tag = Tag();
        const string MoveOut = "for d in /sys/fs/cgroup /sys/fs/cgroup/unified /run/isb/cgroup; do [ -f $d/cgroup.controllers ] && echo $$ > $d/cgroup.procs && break; done";

        var error = await Should.ThrowAsync<SandboxTimeoutException>(() => sandbox.RunCommandAsync(
            $"trap '' TERM; {MoveOut}; env -i sleep 1{tag} >/dev/null 2>&1 & wait", OneSecond, Ct));

        try
        {
            error.Message.ShouldContain("only root in the sandbox can move a process out of it; destroying the sandbox is the only absolute kill");
            (await CommandLinesAsync(sandbox)).ShouldContain($"sleep 1{tag} ");
        }
        finally
        {
            await KillAsync(sandbox, $"sleep 1{tag}");
        }
    }

    [Theory]
    [InlineData("root")]
    [InlineData("sandbox")]
    public async Task Without_a_cgroup_the_sweep_kills_what_it_can_find_and_says_what_may_survive(string user)
    {
        var sandbox = await noCgroup.GetAsync();
        var tag = Tag();
        var escaping = Escapes.Single(e => e.Name.Contains("empty environment", StringComparison.Ordinal));

        var error = await Should.ThrowAsync<SandboxTimeoutException>(() => sandbox.RunCommandAsync(
            string.Join('\n', Escapes.Select(e => string.Format(e.Line, tag))), OneSecond with { User = user }, Ct));

        try
        {
            error.Message.ShouldContain("found by parent, session and the " + Containment.ExecIdVariable + " variable. The sandbox gives commands no cgroup of their own");
            error.Message.ShouldContain("cleared its environment may still run; destroying the sandbox is the only absolute kill");
            (await SurvivorsAsync(sandbox, tag)).ShouldBe([escaping.Name]);
        }
        finally
        {
            await KillAsync(sandbox, $"sleep 5{tag}");
        }
    }

    // Busybox has no pkill.
    private static Task KillAsync(Sandbox sandbox, string commandLine) => sandbox.RunCommandAsync(["sh", "-c",
        "for p in /proc/[0-9]*; do [ \"$(tr '\\0' ' ' < $p/cmdline)\" = \"$0 \" ] && kill -9 ${p#/proc/}; done; true", commandLine], cancellationToken: Ct);

    private static string Tag() => RandomNumberGenerator.GetInt32(10_000, 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The escapes whose sleep still runs.</summary>
    private static async Task<string[]> SurvivorsAsync(Sandbox sandbox, string tag)
    {
        var running = await CommandLinesAsync(sandbox);
        return Escapes.Where((_, i) => running.Contains($"sleep {i + 1}{tag} ", StringComparison.Ordinal)).Select(e => e.Name).ToArray();
    }

    /// <summary>The command lines of every process in the sandbox that has not died (a stopped one counts; a zombie has none).</summary>
    private static async Task<string> CommandLinesAsync(Sandbox sandbox) =>
        (await sandbox.RunCommandAsync(["sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"], cancellationToken: Ct)).Stdout;
}

/// <summary>A busybox sandbox that cannot mount (seccomp denies it), so commands get no cgroup and a kill falls back to the sweep.</summary>
public sealed class NoCgroupSandbox() : SharedSandboxFixture(TestImages.Busybox, "nocg")
{
    protected override async Task PrepareAsync(Sandbox sandbox)
    {
        var incus = Client.Incus;
        await incus.Instances.UpdateAsync(sandbox.Name,
            instance => InstancePut.From(instance) with { Config = new(instance.Config) { ["security.syscalls.deny"] = "mount" } },
            incus.Instances.Context("Denying mount", sandbox.Name), CancellationToken.None);
        await sandbox.RestartAsync(force: true);
    }
}
