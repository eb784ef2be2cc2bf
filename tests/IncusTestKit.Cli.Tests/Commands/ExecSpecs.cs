using System.Diagnostics;
using System.Security.Cryptography;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>dotnet isb exec</c> in a shared busybox sandbox: exit codes, streams, stdin, options, timeouts.</summary>
[Trait("Category", IsbTool.NativeSubset)]
public sealed class ExecSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    [Fact]
    public async Task The_tools_exit_code_is_the_commands()
    {
        var name = (await shared.GetAsync()).Name;

        var success = await IsbTool.RunAsync("exec", name, "--", "echo", "hello");
        var failure = await IsbTool.RunAsync("exec", name, "--", "sh", "-c", "echo out; echo err >&2; exit 3");
        var missing = await IsbTool.RunAsync("exec", name, "--", "no-such-program");

        success.ExitCode.ShouldBe(0, success.StandardError);
        success.StandardOutput.ShouldBe("hello\n");
        success.StandardError.ShouldBeEmpty();
        failure.ExitCode.ShouldBe(3);
        failure.StandardOutput.ShouldBe("out\n");
        failure.StandardError.ShouldBe("err\n");
        missing.ExitCode.ShouldBe(127);
    }

    [Fact]
    public async Task Arguments_after_the_double_dash_arrive_verbatim_without_a_shell()
    {
        var name = (await shared.GetAsync()).Name;
        string[] tricky = ["$(reboot)", "a b", "'quoted'", "\"dq\"", "; rm -rf /", "*", "`id`", "back\\slash", "--json", "-e", "X=1", ""];

        var result = await IsbTool.RunAsync(["exec", name, "--", "printf", "[%s]\\n", .. tricky]);

        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardOutput.ShouldBe(string.Concat(tricky.Select(a => $"[{a}]\n")));
    }

    [Fact]
    public async Task Sh_runs_a_shell_command_line()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunAsync("exec", name, "--sh", "echo abc | tr a-c x-z && exit 4");

        result.ExitCode.ShouldBe(4, result.StandardError);
        result.StandardOutput.ShouldBe("xyz\n");
    }

    [Fact]
    public async Task Environment_working_directory_and_user_reach_the_command()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.Command("exec", name, "--env", "GREETING=hello; $(id)", "-e", "FROM_HOST", "--cwd", "/tmp", "--user", "sandbox",
                "--", "sh", "-c", "echo \"$GREETING\"; echo \"$FROM_HOST\"; pwd; id -u; echo $HOME")
            .WithEnvironmentVariables(e => e.Set("FROM_HOST", "passed on"))
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardOutput.ShouldBe("hello; $(id)\npassed on\n/tmp\n1000\n/home/sandbox\n");
    }

    [Fact]
    public async Task A_missing_working_directory_or_user_is_a_clear_error()
    {
        var name = (await shared.GetAsync()).Name;

        var cwd = await IsbTool.RunAsync("exec", name, "--cwd", "/no/such/dir", "--", "true");
        var user = await IsbTool.RunAsync("exec", name, "--user", "nobody-here", "--", "true");

        cwd.ExitCode.ShouldBe(1);
        cwd.StandardError.ShouldStartWith("error: The working directory '/no/such/dir' does not exist");
        user.ExitCode.ShouldBe(1);
        user.StandardError.ShouldStartWith("error: User 'nobody-here' does not exist");
    }

    [Fact]
    public async Task Piped_text_reaches_the_commands_stdin()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunWithStdinAsync("one\ntwo\nthree\n", "exec", name, "--", "sh", "-c", "wc -l; echo done");

        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardOutput.ShouldBe("3\ndone\n");
    }

    [Fact]
    public async Task Binary_stdin_and_stdout_pass_through_byte_for_byte()
    {
        var name = (await shared.GetAsync()).Name;
        var data = RandomNumberGenerator.GetBytes(300_000);

        var (exitCode, stdout, stderr) = await IsbTool.RunBinaryAsync(data, "exec", name, "--", "cat");

        exitCode.ShouldBe(0, stderr);
        stdout.Length.ShouldBe(data.Length);
        stdout.SequenceEqual(data).ShouldBeTrue();
    }

    [Fact]
    public async Task A_command_that_does_not_read_stdin_is_not_held_up_by_it()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunWithStdinAsync(new string('x', 1_000_000), "exec", name, "--", "echo", "ignored stdin");

        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardOutput.ShouldBe("ignored stdin\n");
    }

    [Fact]
    public async Task A_timeout_kills_the_command_and_everything_it_started()
    {
        var name = (await shared.GetAsync()).Name;
        var marker = $"{Random.Shared.Next(100, 999)}";
        var stopwatch = Stopwatch.StartNew();

        var result = await IsbTool.RunAsync("exec", name, "--timeout", "1s", "--", "sh", "-c", $"sleep 3{marker} & sleep 3{marker}");

        stopwatch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(90)); // far below the sleeps; the daemon can stall 10-20 s
        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: Command 'sh -c sleep");
        result.StandardError.ShouldContain("did not finish within 1 s");
        var processes = await IsbTool.RunAsync("exec", name, "--", "ps");
        processes.StandardOutput.ShouldNotContain($"sleep 3{marker}");
    }

    [Fact]
    public async Task A_timeout_kills_what_cleared_its_environment_and_says_what_was_killed()
    {
        var name = (await shared.GetAsync()).Name;
        var marker = $"{Random.Shared.Next(100, 999)}";

        var result = await IsbTool.RunAsync("exec", name, "--timeout", "1s", "--", "env", "-i", "sh", "-c", $"trap '' TERM; sleep 4{marker} & wait");

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldContain("did not finish within 1 s and was killed: 2 processes in its own cgroup");
        var processes = await IsbTool.RunAsync("exec", name, "--", "ps");
        processes.StandardOutput.ShouldNotContain($"sleep 4{marker}");
    }

    [Fact]
    public async Task Json_reports_the_exit_code_and_both_streams()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunAsync("exec", name, "--json", "--", "sh", "-c", "echo out; echo err >&2; exit 5");

        result.ExitCode.ShouldBe(5, result.StandardError);
        using var json = System.Text.Json.JsonDocument.Parse(result.StandardOutput);
        json.RootElement.GetProperty("exitCode").GetInt32().ShouldBe(5);
        json.RootElement.GetProperty("stdout").GetString().ShouldBe("out\n");
        json.RootElement.GetProperty("stderr").GetString().ShouldBe("err\n");
        json.RootElement.GetProperty("truncated").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Output_streams_while_the_command_runs()
    {
        var sandbox = await shared.GetAsync();
        var marker = $"/tmp/{TestNames.New("go")}";
        var firstLine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The command prints "first" and then waits for a file that is made only once "first" has reached us: if
        // the output arrived at the end, the wait runs out and the command exits 3.
        var run = IsbTool.Command("exec", sandbox.Name, "--", "sh", "-c",
                $"echo first; i=0; while [ ! -e {marker} ]; do i=$((i+1)); [ $i -gt 300 ] && exit 3; sleep 0.1; done; echo second")
            .WithStandardOutputPipe(CliWrap.PipeTarget.ToDelegate(line =>
            {
                if (line == "first")
                    firstLine.TrySetResult();
            }))
            .WithValidation(CliWrap.CommandResultValidation.None)
            .ExecuteAsync(TestContext.Current.CancellationToken);
        await firstLine.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        await sandbox.Files.WriteFileAsync(marker, "", cancellationToken: TestContext.Current.CancellationToken);
        var result = await run;

        result.ExitCode.ShouldBe(0);
    }
}
