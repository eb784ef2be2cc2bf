using System.Diagnostics;
using CliWrap.Buffered;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Exec;

/// <summary>
/// The exec agent: which sandboxes use it, and what happens when the sandbox turns on it. Its commands' results,
/// timeouts and kills are <see cref="AgentRunCommandSpecs"/> and <see cref="TimeoutKillSpecs"/>.
/// </summary>
public sealed class AgentChannelSpecs(AgentSandbox shared, BusyboxAgentSandbox busybox) : IClassFixture<AgentSandbox>, IClassFixture<BusyboxAgentSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_auto_sandbox_uses_the_agent_on_images_with_and_without_a_libc_and_the_daemon_where_it_cannot_run()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var debian = await client.CreateAsync(new SandboxOptions { Image = TestImages.Debian, Name = TestNames.New("auto"), ExecChannel = ExecChannel.Auto }, Ct);
        await using var busybox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("auto"), ExecChannel = ExecChannel.Auto }, Ct);
        await using var noexec = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("auto"), ExecChannel = ExecChannel.Auto }, Ct);
        await MountRunNoexecAsync(noexec.Name);

        (await debian.RunCommandAsync(["echo", "hi"], cancellationToken: Ct)).Stdout.ShouldBe("hi\n");
        (await busybox.RunCommandAsync(["echo", "hi"], cancellationToken: Ct)).Stdout.ShouldBe("hi\n");
        (await noexec.RunCommandAsync(["echo", "hi"], cancellationToken: Ct)).Stdout.ShouldBe("hi\n");

        (await debian.GetExecChannelAsync(Ct)).ShouldBe(ExecChannel.Agent);
        (await busybox.GetExecChannelAsync(Ct)).ShouldBe(ExecChannel.Agent);
        (await noexec.GetExecChannelAsync(Ct)).ShouldBe(ExecChannel.Daemon);
        (await debian.GetInfoAsync(Ct)).ExecChannel.ShouldBe(ExecChannel.Auto);
        // Another handle to it (another process, dotnet isb) follows the sandbox's choice.
        var again = await client.GetByNameAsync(debian.Name, Ct);
        again.ExecChannel.ShouldBe(ExecChannel.Auto);
        (await again.GetExecChannelAsync(Ct)).ShouldBe(ExecChannel.Agent);
        await again.DisposeAsync();
    }

    [Fact]
    public async Task A_sandbox_that_must_use_the_agent_and_cannot_run_it_fails_with_a_clear_error()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("agent"), ExecChannel = ExecChannel.Agent }, Ct);
        await MountRunNoexecAsync(sandbox.Name);

        var error = await Should.ThrowAsync<ExecAgentException>(() => sandbox.RunCommandAsync("true", cancellationToken: Ct));

        error.Code.ShouldBe(SandboxErrorCode.ExecAgent);
        error.Message.ShouldContain($"Sandbox '{sandbox.Name}' cannot run the exec agent: the sandbox cannot run it (it exited with code 126");
        error.Message.ShouldContain("/run");
        error.Message.ShouldContain("ExecChannel.Auto");
        // The binary that could not run is not left behind.
        (await sandbox.Files.ListDirectoryAsync("/run", Ct)).ShouldNotContain(entry => entry.Name.StartsWith("isb-agent", StringComparison.Ordinal));
    }

    // The agent is linked statically, and static glibc cannot load the image's NSS modules: users must still resolve.
    [Theory]
    [InlineData(TestImages.Busybox, "root", "0")]
    [InlineData(TestImages.Busybox, "sandbox", "1000")]
    [InlineData(TestImages.Busybox, "nobody", "65534")]
    [InlineData(TestImages.Debian, "sandbox", "1000")]
    [InlineData(TestImages.Debian, "nobody", "65534")]
    public async Task Commands_of_every_user_run_through_the_agent_with_or_without_a_libc_in_the_image(string image, string user, string uid)
    {
        var sandbox = await (image == TestImages.Busybox ? busybox : (SharedSandboxFixture)shared).GetAsync();

        // The command's parent is the agent (the wrapper execs it); through the daemon it would be outside the sandbox.
        var run = await sandbox.RunCommandAsync(["sh", "-c", "echo $(id -u) $(cat /proc/$PPID/comm)"], new CommandOptions { User = user }, Ct);

        run.ExitCode.ShouldBe(0, run.Stderr);
        run.Stdout.ShouldStartWith($"{uid} isb-agent-");
        (await sandbox.GetExecChannelAsync(Ct)).ShouldBe(ExecChannel.Agent);
    }

    [Fact]
    public async Task The_agent_leaves_no_file_in_the_sandbox()
    {
        var sandbox = await shared.GetAsync();

        (await sandbox.GetExecChannelAsync(Ct)).ShouldBe(ExecChannel.Agent);
        var run = await sandbox.RunCommandAsync("ls /run", cancellationToken: Ct);

        run.Stdout.ShouldNotContain("isb-agent");
    }

    [Fact]
    public async Task Many_commands_share_the_agent_at_once()
    {
        var sandbox = await shared.GetAsync();

        var runs = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => sandbox.RunCommandAsync(["sh", "-c", "cat; echo \" $0\" >&2; exit $0", $"{i}"],
            new CommandOptions { Stdin = $"in {i}" }, Ct)));

        for (var i = 0; i < runs.Length; i++)
        {
            runs[i].ExitCode.ShouldBe(i);
            runs[i].Stdout.ShouldBe($"in {i}");
            runs[i].Stderr.ShouldBe($" {i}\n");
        }
    }

    [Fact]
    public async Task A_command_that_kills_the_agent_fails_with_a_clear_error_and_the_next_command_gets_a_new_agent()
    {
        var sandbox = await shared.GetAsync();
        var clock = Stopwatch.StartNew();

        // The command's parent is the agent, which starts it.
        var error = await Should.ThrowAsync<ExecAgentException>(() => sandbox.RunCommandAsync("kill -9 $PPID; sleep 20", cancellationToken: Ct));

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(15));
        error.Message.ShouldContain($"The exec agent in sandbox '{sandbox.Name}' exited: the command's result is unknown");
        (await sandbox.RunCommandAsync(["echo", "again"], cancellationToken: Ct)).Stdout.ShouldBe("again\n");
        (await sandbox.GetExecChannelAsync(Ct)).ShouldBe(ExecChannel.Agent);
    }

    // The sandbox's root cannot open the agent's stdout (/proc/PID/fd is denied), but it can swap the binary between
    // the push and the start: an impostor that greets like the agent and then writes what it likes. Impostors remove
    // themselves as the agent does, so The_agent_leaves_no_file_in_the_sandbox holds whatever ran before it.
    [Theory]
    [InlineData("an impossible frame length", "\\377\\377\\377\\377\\377\\377\\377\\377\\377forged-by-the-sandbox", "a frame of impossible length")]
    [InlineData("output for a command that was never started", "\\204\\007\\000\\000\\000\\006\\000\\000\\000forged", "not its protocol")]
    [InlineData("an exit before the start", "\\206\\001\\000\\000\\000\\004\\000\\000\\000\\000\\000\\000\\000forged", "not its protocol")]
    public async Task An_impostor_agent_that_writes_garbage_breaks_the_channel_and_its_words_go_nowhere(string what, string garbage, string reason)
    {
        var sandbox = await shared.GetAsync();
        var impostor = System.Text.Encoding.UTF8.GetBytes($"#!/bin/sh\nrm -f \"$0\"\nprintf '\\201\\000\\000\\000\\000\\011\\000\\000\\000ISBAGENT2'\nsleep 1\nprintf '{garbage}'\nsleep 60\n");
        var channel = await AgentExecChannel.StartAsync(sandbox.Client.Incus, sandbox.Name, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, impostor, Ct);
        var clock = Stopwatch.StartNew();

        var error = await Should.ThrowAsync<ExecAgentException>(() => new ContainedExec(channel, sandbox.Name, new CommandOptions()).RunAsync(["true"], 0, 0, [], Ct));

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(15), what);
        error.Message.ShouldContain(reason, Case.Sensitive, what);
        error.Message.ShouldNotContain("forged", Case.Sensitive, what);
        channel.IsBroken.ShouldBeTrue(what);
    }

    [Fact]
    public async Task An_impostor_that_does_not_greet_like_the_agent_is_not_used()
    {
        var sandbox = await shared.GetAsync();
        var impostor = "#!/bin/sh\nrm -f \"$0\"\necho 'I am the agent, honest'\nsleep 60\n"u8.ToArray();

        var error = await Should.ThrowAsync<AgentUnavailableException>(() =>
            AgentExecChannel.StartAsync(sandbox.Client.Incus, sandbox.Name, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, impostor, Ct));

        error.Message.ShouldNotContain("honest");
    }

    [Fact]
    public async Task A_stopped_agent_fails_its_commands_within_bounds()
    {
        var sandbox = await shared.GetAsync();
        var clock = Stopwatch.StartNew();

        var error = await Should.ThrowAsync<ExecAgentException>(() => sandbox.RunCommandAsync(
            "kill -STOP $PPID; sleep 60", new CommandOptions { Timeout = Timeout.InfiniteTimeSpan }, Ct));

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        error.Message.ShouldContain("did not answer for 10 s");
        (await sandbox.RunCommandAsync(["echo", "again"], cancellationToken: Ct)).Stdout.ShouldBe("again\n");
    }

    /// <summary>Mounts a noexec tmpfs on the sandbox's /run, where the agent is pushed, through the daemon: a sandbox that cannot run it.</summary>
    private static async Task MountRunNoexecAsync(string sandbox)
    {
        var mount = await CliWrap.Cli.Wrap("incus").WithArguments(["exec", sandbox, "--", "mount", "-t", "tmpfs", "-o", "noexec", "tmpfs", "/run"])
            .WithValidation(CliWrap.CommandResultValidation.None).ExecuteBufferedAsync(Ct);
        mount.ExitCode.ShouldBe(0, mount.StandardError);
    }
}
