using System.Security.Cryptography;
using System.Text;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Exec;

/// <summary>What a command gives back, on every exec channel: each channel's class below runs all of these.</summary>
public abstract class RunCommandSpecs(SharedSandboxFixture shared)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task I_get_the_exit_code_stdout_and_stderr_of_a_shell_command()
    {
        var sandbox = await shared.GetAsync();

        var result = await sandbox.RunCommandAsync("echo out; echo err >&2; exit 3", cancellationToken: Ct);

        result.ExitCode.ShouldBe(3);
        result.Stdout.ShouldBe("out\n");
        result.Stderr.ShouldBe("err\n");
        result.Succeeded.ShouldBeFalse();
        result.Duration.ShouldBeGreaterThan(TimeSpan.Zero);
        Should.Throw<CommandFailedException>(() => result.EnsureSuccess()).Message.ShouldContain("err");
    }

    [Fact]
    public async Task Arguments_arrive_verbatim_without_a_shell()
    {
        var sandbox = await shared.GetAsync();
        string[] tricky = ["$(reboot)", "a b", "'quoted'", "\"dq\"", "; rm -rf /", "*", "`id`", "back\\slash", ""];

        var result = await sandbox.RunCommandAsync(["printf", "[%s]\n", .. tricky], cancellationToken: Ct);

        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldBe(string.Concat(tricky.Select(a => $"[{a}]\n")));
    }

    [Fact]
    public async Task Environment_working_directory_and_user_go_through_the_api()
    {
        var sandbox = await shared.GetAsync();

        var result = await sandbox.RunCommandAsync(["sh", "-c", "echo \"$GREETING\"; pwd; id -u; echo $HOME"], new CommandOptions
        {
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello; $(id)" },
            WorkingDirectory = "/tmp",
            User = "sandbox",
        }, Ct);

        result.Stdout.ShouldBe("hello; $(id)\n/tmp\n1000\n/home/sandbox\n");
    }

    [Fact]
    public async Task A_numeric_user_runs_with_that_uid()
    {
        var sandbox = await shared.GetAsync();

        var result = await sandbox.RunCommandAsync(["id", "-u"], new CommandOptions { User = "4242" }, Ct);

        result.Stdout.Trim().ShouldBe("4242");
    }

    [Fact]
    public async Task An_unknown_user_or_working_directory_is_a_clear_error()
    {
        var sandbox = await shared.GetAsync();

        (await Should.ThrowAsync<IncusTestKitException>(() => sandbox.RunCommandAsync("true", new CommandOptions { User = "nobody-here" }, Ct)))
            .Message.ShouldContain("nobody-here");
        (await Should.ThrowAsync<PathNotFoundException>(() => sandbox.RunCommandAsync("true", new CommandOptions { WorkingDirectory = "/no/such/dir" }, Ct)))
            .Message.ShouldContain("/no/such/dir");
    }

    [Fact]
    public async Task Text_stdin_reaches_the_command_and_ends_with_eof()
    {
        var sandbox = await shared.GetAsync();

        var result = await sandbox.RunCommandAsync(["wc", "-l"], new CommandOptions { Stdin = "one\ntwo\nthree\n" }, Ct);

        result.Stdout.Trim().ShouldBe("3");
    }

    [Fact]
    public async Task Binary_stdin_and_stdout_survive_byte_for_byte()
    {
        var sandbox = await shared.GetAsync();
        var bytes = RandomNumberGenerator.GetBytes(300_000);

        var result = await sandbox.RunCommandAsync(["cat"], new CommandOptions { Stdin = CommandInput.FromStream(new MemoryStream(bytes)) }, Ct);

        result.StdoutBytes.ToArray().ShouldBe(bytes);
    }

    [Fact]
    public async Task Fifty_megabytes_of_output_arrive_whole()
    {
        var sandbox = await shared.GetAsync();

        var result = await sandbox.RunCommandAsync("head -c 52428800 /dev/zero", cancellationToken: Ct);

        result.StdoutBytes.Length.ShouldBe(52_428_800);
        result.Truncated.ShouldBeFalse();
    }

    [Fact]
    public async Task Output_over_the_limit_is_cut_and_the_result_says_so()
    {
        var sandbox = await shared.GetAsync();

        var result = await sandbox.RunCommandAsync("head -c 10000000 /dev/zero; echo done >&2", new CommandOptions { OutputLimit = 1000 }, Ct);

        result.StdoutBytes.Length.ShouldBe(1000);
        result.Truncated.ShouldBeTrue();
        result.Stderr.ShouldBe("done\n");
        result.ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task Output_streams_live_to_a_callback()
    {
        var sandbox = await shared.GetAsync();
        var go = $"/tmp/isbt-go-{Tag()}";
        var seen = new StringBuilder();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // The command waits for a file that the test makes only once the callback has had the first line: output held
        // back until the command ends would never get there (the command gives up after a minute).
        var run = sandbox.RunCommandAsync(
            ["sh", "-c", "echo first; i=0; until [ -e \"$0\" ]; do [ $i -lt 600 ] || exit 9; sleep 0.1; i=$((i+1)); done; echo second", go],
            new CommandOptions
            {
                OnOutput = (chunk, _) =>
                {
                    lock (seen)
                    {
                        seen.Append(Encoding.UTF8.GetString(chunk.Data.Span));
                        if (seen.ToString().StartsWith("first\n", StringComparison.Ordinal))
                            first.TrySetResult();
                    }
                    return ValueTask.CompletedTask;
                },
            }, stop.Token);
        if (await Task.WhenAny(first.Task, run, Task.Delay(TimeSpan.FromSeconds(30), Ct)) != first.Task)
        {
            await stop.CancelAsync();
            Assert.Fail($"The callback did not get 'first' while the command was still running; it had: '{seen}'.");
        }
        (await sandbox.RunCommandAsync(["touch", go], cancellationToken: Ct)).EnsureSuccess();

        var result = await run;

        result.ExitCode.ShouldBe(0);
        seen.ToString().ShouldBe("first\nsecond\n");
    }

    [Fact]
    public async Task A_missing_program_exits_with_127()
    {
        var sandbox = await shared.GetAsync();

        var result = await sandbox.RunCommandAsync(["no-such-program"], cancellationToken: Ct);

        result.ExitCode.ShouldBe(127);
        result.Stderr.ShouldContain("no-such-program");
    }

    [Fact]
    public async Task A_missing_program_is_told_apart_from_a_program_that_exits_with_127()
    {
        var sandbox = await shared.GetAsync();

        var missing = await sandbox.RunCommandAsync(["/no/such/binary"], cancellationToken: Ct);
        var exits127 = await sandbox.RunCommandAsync(["sh", "-c", "exit 127"], cancellationToken: Ct);
        var saysNotFound = await sandbox.RunCommandAsync(["sh", "-c", "echo 'sh: command not found' >&2; exit 127"], cancellationToken: Ct);

        missing.ExitCode.ShouldBe(127);
        missing.CommandNotFound.ShouldBeTrue();
        missing.Stderr.ShouldBe("/no/such/binary: command not found\n");
        Should.Throw<CommandFailedException>(() => missing.EnsureSuccess()).Message.ShouldContain("the program '/no/such/binary' was not found in the sandbox");
        exits127.ExitCode.ShouldBe(127);
        exits127.CommandNotFound.ShouldBeFalse();
        exits127.Stderr.ShouldBeEmpty(); // nothing invented: the command printed nothing
        saysNotFound.CommandNotFound.ShouldBeFalse();
    }

    [Fact]
    public async Task A_command_past_its_timeout_is_killed_with_its_children()
    {
        var sandbox = await shared.GetAsync();
        var marker = $"isbt{RandomNumberGenerator.GetInt32(1_000_000)}";

        var error = await Should.ThrowAsync<SandboxTimeoutException>(() => sandbox.RunCommandAsync(
            ["sh", "-c", "sleep 300 & sleep 301; echo never", marker], new CommandOptions { Timeout = TimeSpan.FromSeconds(1) }, Ct));

        error.Message.ShouldContain("killed");
        var processes = await ProcessesAsync(sandbox);
        processes.ShouldNotContain("sleep 300");
        processes.ShouldNotContain("sleep 301");
    }

    [Fact]
    public async Task Cancelling_kills_the_command()
    {
        var sandbox = await shared.GetAsync();
        var sleep = $"sleep 3{Tag()}";
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // The sleep is the command's child: what the command started goes with it.
        var run = sandbox.RunCommandAsync(["sh", "-c", $"{sleep} & wait"], cancellationToken: cancel.Token);
        // Cancelled only once the sleep runs (a line of its own, not the shell's): a cancel that beats the start would prove nothing.
        (await Poll.UntilAsync(async () => run.IsCompleted || (await ProcessesAsync(sandbox)).Split('\n').Any(line => line.Trim() == sleep),
            TimeSpan.FromSeconds(30))).ShouldBeTrue($"'{sleep}' did not start within 30 s");
        run.IsCompleted.ShouldBeFalse($"'{sleep}' ended before it was cancelled: {run.Exception}");
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => run);
        (await ProcessesAsync(sandbox)).ShouldNotContain(sleep);
    }

    // Every process's command line, one a line, read from /proc: the same on busybox and on procps.
    private static async Task<string> ProcessesAsync(Sandbox sandbox) =>
        (await sandbox.RunCommandAsync("for f in /proc/[0-9]*/cmdline; do printf '%s\\n' \"$(tr '\\0' ' ' < $f)\"; done", cancellationToken: Ct)).Stdout;

    private static string Tag() => RandomNumberGenerator.GetInt32(10_000, 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The daemon's exec operations, on busybox.</summary>
public sealed class DaemonRunCommandSpecs(BusyboxSandbox shared) : RunCommandSpecs(shared), IClassFixture<BusyboxSandbox>;

/// <summary>The exec agent, on debian.</summary>
public sealed class AgentRunCommandSpecs(AgentSandbox shared) : RunCommandSpecs(shared), IClassFixture<AgentSandbox>;

/// <summary>The exec agent, on busybox: an image without a libc of its own.</summary>
public sealed class BusyboxAgentRunCommandSpecs(BusyboxAgentSandbox shared) : RunCommandSpecs(shared), IClassFixture<BusyboxAgentSandbox>;
