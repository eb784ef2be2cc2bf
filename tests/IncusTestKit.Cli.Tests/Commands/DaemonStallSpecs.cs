using System.Diagnostics;
using CliWrap.Buffered;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>
/// <c>--daemon-timeout</c> against a frozen daemon (SIGSTOP for a few seconds). Disruptive: its collection runs alone,
/// after this assembly's parallel tests.
/// </summary>
[Collection(nameof(DaemonStallGroup))]
public sealed class DaemonStallSpecs
{
    // The tool's own start (the runtime, the JIT) on a busy 2-core machine, on top of the 2 s given to the daemon.
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(2 + 5);

    [Fact]
    public async Task List_and_exec_against_a_frozen_daemon_exit_1_with_one_error_line_within_the_daemon_timeout()
    {
        await BootstrapDaemon.RequireAsync("Freezes the Incus daemon with SIGSTOP for a few seconds");
        var ct = TestContext.Current.CancellationToken;
        await using var client = new SandboxClient();
        var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("stall"), AutoDestroy = false }, ct);
        try
        {
            (BufferedCommandResult Result, TimeSpan Elapsed)[] runs;
            await using (await BootstrapDaemon.PauseAsync(TimeSpan.FromSeconds(60), ct))
            {
                runs = await Task.WhenAll(
                    TimeAsync("list", "--daemon-timeout", "2s"),
                    TimeAsync("exec", sandbox.Name, "--daemon-timeout", "2s", "--", "true"))
                    .WaitAsync(TimeSpan.FromSeconds(30), ct);
            }

            foreach (var (result, elapsed) in runs)
            {
                result.ExitCode.ShouldBe(1, result.StandardError);
                result.StandardOutput.ShouldBeEmpty();
                var errors = result.StandardError.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
                errors.Count.ShouldBe(1, result.StandardError);
                errors[0].ShouldContain("did not answer within 2 s");
                result.StandardError.ShouldContain("hint: ");
                result.StandardError.ShouldContain("--daemon-timeout");
                elapsed.ShouldBeLessThan(Within, result.StandardError);
            }

            var back = await IsbTool.RunAsync("exec", sandbox.Name, "--daemon-timeout", "2s", "--", "echo", "back");
            back.ExitCode.ShouldBe(0, back.StandardError);
            back.StandardOutput.ShouldBe("back\n");
        }
        finally
        {
            await client.DestroyAsync(sandbox.Name, cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_daemon_timeout_that_is_not_a_duration_is_one_clear_error()
    {
        var result = await IsbTool.RunAsync("list", "--daemon-timeout", "soon");

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldContain("--daemon-timeout: 'soon' is not a duration");
    }

    private static async Task<(BufferedCommandResult Result, TimeSpan Elapsed)> TimeAsync(params string[] arguments)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = await IsbTool.RunAsync(arguments);
        return (result, stopwatch.Elapsed);
    }
}

/// <summary>Keeps <see cref="DaemonStallSpecs"/> away from every other test of this assembly (xUnit runs it after the parallel ones).</summary>
[CollectionDefinition(nameof(DaemonStallGroup), DisableParallelization = true)]
public sealed class DaemonStallGroup;
