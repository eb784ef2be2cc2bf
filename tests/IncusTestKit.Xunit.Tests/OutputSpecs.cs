using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

public sealed class OutputSpecs(NormalProbeRun normal) : IClassFixture<NormalProbeRun>
{
    [Fact]
    public async Task What_a_command_prints_goes_to_the_test_output_line_by_line_prefixed_with_the_sandbox_name()
    {
        var run = await normal.GetAsync();

        var test = run["PerTestOutput.Prints"];
        test.Result.ShouldBe("Pass", test.Failure);
        var name = Regex.Match(test.Output, @"\[(isbt-xp-\w+)\] out-line").Groups[1].Value;
        name.ShouldNotBeEmpty(test.Output);
        test.Output.ShouldContain($"[{name} stderr] err-line");
        test.Output.ShouldContain($"[{name}] no-newline");
    }

    [Fact]
    public async Task The_sdk_log_goes_to_the_test_output()
    {
        var run = await normal.GetAsync();

        run["PerTestOutput.Prints"].Output.ShouldContain("[isb Information] Command");
    }

    [Fact]
    public async Task A_failed_test_says_its_sandbox_was_destroyed_and_how_to_keep_it()
    {
        var run = await normal.GetAsync();

        var test = run["PerTestOutput.Fails"];
        test.Result.ShouldBe("Fail");
        test.Output.ShouldContain("before-the-failure");
        test.Output.TrimEnd().ShouldEndWith("set ISB_KEEP_ON_FAILURE=1 to keep a failed test's sandbox for inspection.");
    }

    [Fact]
    public async Task With_ISB_KEEP_ON_FAILURE_a_failed_test_keeps_its_sandbox_pooled_or_not_and_a_later_sweep_leaves_it()
    {
        await IncusDaemon.RequireAsync();
        var run = await ProbeRun.StartAsync(["PerTestOutput", "PooledFailure"], new Dictionary<string, string?> { ["ISB_KEEP_ON_FAILURE"] = "1" });

        var failed = run["PerTestOutput.Fails"];
        failed.Result.ShouldBe("Fail");
        var name = KeptName(failed);
        var pooled = KeptName(run["PooledFailure.Fails"]);
        await using var client = new SandboxClient();
        try
        {
            failed.Output.TrimEnd().ShouldEndWith($"destroy it: dotnet isb destroy {name}");
            failed.Output.ShouldContain($"incus exec {name} -- sh");
            (await client.GetByNameAsync(name, Ct)).Name.ShouldBe(name);
            // The pooled test's sandbox was a claimed pool member, kept as it is.
            (await ConfigOfAsync(pooled, "user.isb.pool-state")).ShouldBe("claimed");
            // The test that passed does not keep its sandbox.
            var passed = Regex.Match(run["PerTestOutput.Prints"].Output, @"\[(isbt-xp-\w+)\]").Groups[1].Value;
            await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync(passed, Ct));

            // Made as auto-destroy sandboxes and handed over once their tests failed: no owner is left for a sweep to judge.
            var swept = await client.ReapLeftoversAsync(cancellationToken: Ct);
            swept.Leftovers.Select(l => l.Name).ShouldNotContain(name);
            (await client.GetByNameAsync(name, Ct)).Name.ShouldBe(name);
            (await client.GetByNameAsync(pooled, Ct)).Name.ShouldBe(pooled);
        }
        finally
        {
            foreach (var kept in new[] { name, pooled })
                await client.DestroyAsync(kept, cancellationToken: CancellationToken.None);
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string KeptName(ProbeResult failed)
    {
        var name = Regex.Match(failed.Output, @"Sandbox '(isbt-xp-\w+)' is kept").Groups[1].Value;
        name.ShouldNotBeEmpty(failed.Output);
        return name;
    }

    private static async Task<string> ConfigOfAsync(string name, string key) =>
        (await Cli.Wrap("incus").WithArguments(["config", "get", name, key]).ExecuteBufferedAsync(Ct)).StandardOutput.Trim();
}
