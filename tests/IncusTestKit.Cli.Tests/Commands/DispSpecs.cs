using System.Collections.Concurrent;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>
/// <c>dotnet isb disp</c> run as a process against the real daemon: commands, exit codes, failures, signals, and that
/// the sandbox is gone afterwards in every case but the two that keep it on purpose.
/// </summary>
[Collection(DispInstances.Collection)]
public sealed class DispSpecs
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_command_runs_with_live_output_and_the_sandbox_is_gone_after()
    {
        await IncusDaemon.RequireAsync();
        var result = await IsbTool.RunAsync("disp", "--image", TestImages.Busybox, "--cmd", "echo hello from $(hostname)");
        try
        {
            var name = DispInstances.NameIn(result.StandardError);

            result.ExitCode.ShouldBe(0, result.StandardError);
            name.ShouldMatch(@"^disp-\d{8}-\d{6}-[a-z0-9]{4}$");
            result.StandardOutput.ShouldBe($"hello from {name}\n");
            result.StandardError.ShouldContain($"isb: {name} created from {TestImages.Busybox} (ephemeral: deleted when it stops)");
            result.StandardError.ShouldContain($"isb: {name} deleted");
            (await DispInstances.ExistsAsync(name)).ShouldBeFalse();
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(result.StandardError);
        }
    }

    [Fact]
    public async Task No_network_and_a_process_limit_reach_the_disposable_sandbox()
    {
        await IncusDaemon.RequireAsync();
        // A bounded fork bomb: the shell gives up at the limit, long before 1000 processes.
        var result = await IsbTool.RunAsync("disp", "--image", TestImages.Busybox, "--no-network", "--processes", "100", "--cmd",
            "ls /sys/class/net; i=0; while [ $i -lt 1000 ]; do sleep 30 </dev/null >/dev/null 2>&1 & i=$((i+1)); done; echo unreachable");
        try
        {
            result.ExitCode.ShouldBe(2, result.StandardError);
            result.StandardOutput.ShouldBe("lo\n");
            result.StandardError.ShouldContain("can't fork");
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(result.StandardError);
        }
    }

    [Fact]
    public async Task The_tools_exit_code_is_the_commands_and_the_sandbox_is_gone_after_a_failure_too()
    {
        await IncusDaemon.RequireAsync();
        var result = await IsbTool.RunAsync("disp", "--image", TestImages.Busybox, "--cmd", "echo out; echo err >&2; exit 7");
        try
        {
            result.ExitCode.ShouldBe(7, result.StandardError);
            result.StandardOutput.ShouldBe("out\n");
            result.StandardError.ShouldContain("err\n");
            (await DispInstances.ExistsAsync(DispInstances.NameIn(result.StandardError))).ShouldBeFalse();
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(result.StandardError);
        }
    }

    [Fact]
    public async Task Quiet_leaves_standard_error_to_the_command()
    {
        await IncusDaemon.RequireAsync();

        // No "created" line to learn the name from: the command says it.
        var result = await IsbTool.RunAsync("disp", "--image", TestImages.Busybox, "--quiet", "--cmd", "hostname; echo err >&2");
        var name = result.StandardOutput.Trim();
        try
        {
            result.ExitCode.ShouldBe(0, result.StandardError);
            result.StandardError.ShouldBe("err\n");
            name.ShouldMatch(@"^disp-\d{8}-\d{6}-[a-z0-9]{4}$");
            (await DispInstances.ExistsAsync(name)).ShouldBeFalse();
        }
        finally
        {
            if (name.StartsWith("disp-", StringComparison.Ordinal))
                await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task Piped_input_is_a_script_for_the_shell()
    {
        await IncusDaemon.RequireAsync();
        var result = await IsbTool.RunWithStdinAsync("echo from-$((6 * 7))\ncd /tmp && pwd\nexit 3\n", "disp", "--image", TestImages.Busybox);
        try
        {
            result.ExitCode.ShouldBe(3, result.StandardError);
            result.StandardOutput.ShouldBe("from-42\n/tmp\n");
            (await DispInstances.ExistsAsync(DispInstances.NameIn(result.StandardError))).ShouldBeFalse();
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(result.StandardError);
        }
    }

    [Fact]
    public async Task A_missing_image_fails_with_the_reason_and_creates_nothing()
    {
        await IncusDaemon.RequireAsync();

        var run = IsbTool.Command("disp", "--image", "isb/no-such-image", "--cmd", "true").ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        var result = await run;

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: Image 'isb/no-such-image' was not found");
        result.StandardError.ShouldNotContain(" created");
        result.StandardOutput.ShouldBeEmpty();
        (await DispInstances.MadeByAsync(run.ProcessId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_virtual_machine_on_a_host_without_KVM_fails_with_the_reason_and_creates_nothing()
    {
        await IncusDaemon.RequireAsync();
        await using (var client = new SandboxClient())
        {
            if ((await client.GetServerInfoAsync(TestContext.Current.CancellationToken)).SupportsVirtualMachines)
                Assert.Skip("This Incus server runs virtual machines, so --vm does not fail here.");
        }

        var run = IsbTool.Command("disp", "--vm", "--image", TestImages.Busybox, "--cmd", "true").ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        var result = await run;

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: This Incus server cannot run virtual machines");
        (await DispInstances.MadeByAsync(run.ProcessId)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_sandbox_not_ready_within_the_timeout_is_kept_for_inspection_and_the_tool_says_how()
    {
        await IncusDaemon.RequireAsync();
        var result = await IsbTool.RunAsync("disp", "--image", TestImages.Busybox, "--timeout", "1ms", "--cmd", "true");
        var name = result.StandardError.Split('\'').FirstOrDefault(part => part.StartsWith("disp-", StringComparison.Ordinal));
        try
        {
            result.ExitCode.ShouldBe(1);
            name.ShouldNotBeNull(result.StandardError);
            result.StandardError.ShouldStartWith($"error: Sandbox '{name}' ");
            result.StandardError.ShouldContain("It is kept for inspection");
            result.StandardError.ShouldContain($"incus info {name} --show-log");
            result.StandardError.ShouldContain($"hint: Look inside: incus exec {name} -- sh");
            (await DispInstances.ExistsAsync(name)).ShouldBeTrue();
        }
        finally
        {
            if (name is not null)
                await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task No_attach_prints_the_name_and_how_to_get_a_shell_and_delete_it_and_keeps_the_sandbox()
    {
        await IncusDaemon.RequireAsync();
        var run = IsbTool.Command("disp", "--image", TestImages.Busybox, "--no-attach").ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        var result = await run;
        var name = result.StandardOutput.Trim();
        try
        {
            result.ExitCode.ShouldBe(0, result.StandardError);
            name.ShouldBe(DispInstances.NameIn(result.StandardError));
            // What the tests that create nothing rely on: a sandbox is known by the process that made it.
            (await DispInstances.MadeByAsync(run.ProcessId)).ShouldBe([name]);
            result.StandardError.ShouldContain($"get a shell:  incus exec {name} -- sh");
            result.StandardError.ShouldContain($"delete it:    dotnet isb destroy {name}");
            var info = await IsbTool.RunJsonAsync("info", name, "--json");
            info.GetProperty("ephemeral").GetBoolean().ShouldBeTrue();
            info.GetProperty("state").GetString().ShouldBe("running");
        }
        finally
        {
            if (name.StartsWith("disp-", StringComparison.Ordinal))
                await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task Stopping_a_no_attach_sandbox_deletes_it()
    {
        await IncusDaemon.RequireAsync();
        var name = (await IsbTool.RunAsync("disp", "--image", TestImages.Busybox, "--no-attach", "--quiet")).StandardOutput.Trim();
        try
        {
            name.ShouldStartWith("disp-");

            var stop = await IsbTool.RunAsync("stop", name, "--force");

            stop.ExitCode.ShouldBe(0, stop.StandardError);
            (await DispInstances.GoneWithinAsync(name, Bounded)).ShouldBeTrue();
        }
        finally
        {
            if (name.StartsWith("disp-", StringComparison.Ordinal))
                await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task SIGTERM_to_the_tool_mid_command_deletes_the_sandbox_within_a_bounded_time()
    {
        await IncusDaemon.RequireAsync();

        var (exitCode, stderr) = await RunAndSignalAsync("TERM", times: 1);

        exitCode.ShouldBe(143, stderr);
        var name = DispInstances.NameIn(stderr);
        stderr.ShouldContain($"isb: SIGTERM: deleting {name}");
        (await DispInstances.GoneWithinAsync(name, Bounded)).ShouldBeTrue();
    }

    [Fact]
    public async Task Repeated_Ctrl_C_does_not_cut_the_cleanup_short()
    {
        await IncusDaemon.RequireAsync();

        var (exitCode, stderr) = await RunAndSignalAsync("INT", times: 3);

        exitCode.ShouldBe(130, stderr);
        var name = DispInstances.NameIn(stderr);
        stderr.ShouldContain($"isb: {name} deleted");
        (await DispInstances.ExistsAsync(name)).ShouldBeFalse();
    }

    [Fact]
    public async Task Several_started_in_the_same_second_get_different_names()
    {
        await IncusDaemon.RequireAsync();
        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            IsbTool.RunAsync("disp", "--image", TestImages.Busybox, "--cmd", "hostname")));
        try
        {
            foreach (var run in runs)
                run.ExitCode.ShouldBe(0, run.StandardError);
            var names = runs.Select(r => DispInstances.NameIn(r.StandardError)).ToList();
            names.Distinct().Count().ShouldBe(3);
            runs.Select(r => r.StandardOutput.Trim()).ShouldBe(names);
            foreach (var name in names)
                (await DispInstances.ExistsAsync(name)).ShouldBeFalse();
        }
        finally
        {
            foreach (var run in runs)
                await DispInstances.DestroyNamedInAsync(run.StandardError);
        }
    }

    [Fact]
    public async Task The_console_can_be_attached_and_leaving_it_deletes_the_sandbox()
    {
        await IncusDaemon.RequireAsync();
        // Piped input that ends at once: attach, then detach.
        var result = await IsbTool.RunWithStdinAsync("", "disp", "--image", TestImages.Busybox, "--console");
        try
        {
            result.ExitCode.ShouldBe(0, result.StandardError);
            result.StandardError.ShouldContain("attached to its console; Ctrl-a q detaches and deletes it");
            (await DispInstances.ExistsAsync(DispInstances.NameIn(result.StandardError))).ShouldBeFalse();
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(result.StandardError);
        }
    }

    [Fact]
    public async Task Domain_is_another_name_for_project()
    {
        await IncusDaemon.RequireAsync();

        var agreeing = await IsbTool.RunAsync("disp", "--domain", "default", "--image", TestImages.Busybox, "--cmd", "true");
        var disagreeing = await IsbTool.RunAsync("disp", "--domain", "default", "--project", "other", "--cmd", "true");
        var missing = await IsbTool.RunAsync("disp", "--domain", "isbt-no-such-project", "--image", TestImages.Busybox, "--cmd", "true");

        try
        {
            agreeing.ExitCode.ShouldBe(0, agreeing.StandardError);
            disagreeing.ExitCode.ShouldBe(1);
            disagreeing.StandardError.ShouldStartWith("error: --domain 'default' and --project 'other' disagree");
            missing.ExitCode.ShouldBe(1);
            missing.StandardError.ShouldContain("isbt-no-such-project");
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(agreeing.StandardError);
        }
    }

    [Fact]
    public async Task The_default_image_comes_from_the_nearest_isb_json_and_help_says_which()
    {
        await IncusDaemon.RequireAsync();
        var repository = Directory.CreateTempSubdirectory("isbt-config-");
        try
        {
            var nested = repository.CreateSubdirectory("src/deep");
            await File.WriteAllTextAsync(Path.Combine(repository.FullName, ".isb.json"), $$"""{ "image": "{{TestImages.Busybox}}" }""",
                TestContext.Current.CancellationToken);

            var help = await InFolder(nested.FullName, "disp", "--help").ExecuteBufferedAsync(TestContext.Current.CancellationToken);
            var run = await InFolder(nested.FullName, "disp", "--cmd", "test -e /usr/bin/python3 && echo debian || echo busybox")
                .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
            await DispInstances.DestroyNamedInAsync(run.StandardError);

            help.StandardOutput.ShouldContain($"now: {TestImages.Busybox} from {Path.Combine(repository.FullName, ".isb.json")}");
            run.ExitCode.ShouldBe(0, run.StandardError);
            run.StandardOutput.ShouldBe("busybox\n");
            run.StandardError.ShouldContain($"created from {TestImages.Busybox}");
        }
        finally
        {
            repository.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_broken_config_file_is_an_error_that_names_it()
    {
        var folder = Directory.CreateTempSubdirectory("isbt-config-");
        try
        {
            var file = Path.Combine(folder.FullName, ".isb.json");
            await File.WriteAllTextAsync(file, """{ "image": """, TestContext.Current.CancellationToken);

            var result = await InFolder(folder.FullName, "disp", "--cmd", "true").ExecuteBufferedAsync(TestContext.Current.CancellationToken);

            result.ExitCode.ShouldBe(1);
            result.StandardError.ShouldStartWith($"error: The config file {file} is not valid");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--cmd", "true", "--console")]
    [InlineData("--cmd", "true", "--no-attach")]
    [InlineData("--console", "--no-attach")]
    public async Task Cmd_console_and_no_attach_exclude_each_other(params string[] options)
    {
        var result = await IsbTool.RunAsync(["disp", .. options]);

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: Choose one of --cmd, --console and --no-attach.");
    }

    [Theory]
    [InlineData("disp")]
    [InlineData("doctor")]
    public async Task The_help_has_examples(string verb)
    {
        var result = await IsbTool.RunAsync(verb, "--help");

        result.ExitCode.ShouldBe(0);
        result.StandardOutput.ShouldContain("Examples:");
        result.StandardOutput.ShouldContain($"  dotnet isb {verb}");
    }

    [Fact]
    public async Task The_help_says_what_happens_when_the_tool_is_killed()
    {
        var result = await IsbTool.RunAsync("disp", "--help");

        result.StandardOutput.ShouldContain("the daemon deletes it when it stops");
        result.StandardOutput.ShouldContain("kill -9");
    }

    // Runs "echo started; sleep 300", sends the signal once "started" is out, and returns the tool's exit code and
    // standard error. The tool is killed (and its sandbox deleted) if it does not end within the bound.
    private static async Task<(int ExitCode, string Stderr)> RunAndSignalAsync(string signal, int times)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new ConcurrentQueue<string>();
        using var forceful = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var run = IsbTool.Command("disp", "--image", TestImages.Busybox, "--cmd", "echo started; sleep 300")
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (line == "started")
                    started.TrySetResult();
            }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(stderr.Enqueue))
            .ExecuteAsync(forceful.Token);
        string Stderr() => string.Join('\n', stderr) + "\n";
        try
        {
            await started.Task.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
            await SignalAsync(signal, run.ProcessId);
            if (times > 1)
            {
                // The rest arrive while the tool deletes the sandbox, which is what they must not cut short.
                (await Poll.UntilAsync(() => Task.FromResult(Stderr().Contains($"isb: SIG{signal}: deleting ", StringComparison.Ordinal)), Bounded))
                    .ShouldBeTrue($"disp did not start deleting its sandbox after SIG{signal}. It printed:\n{Stderr()}");
                for (var i = 1; i < times; i++)
                    await SignalAsync(signal, run.ProcessId);
            }
            var result = await run.Task.WaitAsync(Bounded + TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            return (result.ExitCode, Stderr());
        }
        catch (Exception e) when (e is TimeoutException)
        {
            throw new Xunit.Sdk.XunitException($"disp did not end within the bound after SIG{signal}. It printed:\n{Stderr()}");
        }
        finally
        {
            if (!run.Task.IsCompleted)
                await forceful.CancelAsync();
            try
            {
                await run.Task;
            }
            catch (OperationCanceledException)
            {
            }
            await DispInstances.DestroyNamedInAsync(Stderr());
        }
    }

    // A process that has just ended may be gone already: that is for the caller's checks to find, not a failure here.
    private static Task SignalAsync(string signal, int processId) =>
        CliWrap.Cli.Wrap("kill").WithArguments(["-" + signal, processId.ToString(CultureInfo.InvariantCulture)])
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(TestContext.Current.CancellationToken);

    private static Command InFolder(string folder, params string[] arguments) =>
        IsbTool.Command(arguments)
            .WithWorkingDirectory(folder)
            // Neither a developer's nor CI's own choice may decide which image the test sees.
            .WithEnvironmentVariables(e => e.Set("ISB_IMAGE", null).Set("XDG_CONFIG_HOME", folder));
}
