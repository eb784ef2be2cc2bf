using System.Globalization;
using System.Text.RegularExpressions;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

public sealed partial class FixtureSpecs(NormalProbeRun normal) : IClassFixture<NormalProbeRun>
{
    [Fact]
    public async Task A_class_fixture_gives_every_test_of_the_class_the_same_sandbox_and_an_assembly_fixture_one_for_all()
    {
        var run = await normal.GetAsync();

        var first = run["ClassFixtureTests.Names"];
        var second = run["ClassFixtureTests.Names_again"];
        first.Result.ShouldBe("Pass", first.Failure);
        Value(first.Output, "class").ShouldStartWith("isbt-xp-");
        Value(second.Output, "class").ShouldBe(Value(first.Output, "class"));
        Value(first.Output, "assembly").ShouldStartWith("isbt-xp-");
        Value(first.Output, "assembly").ShouldNotBe(Value(first.Output, "class"));
    }

    [Fact]
    public async Task A_collection_fixture_gives_the_classes_of_the_collection_the_same_sandbox()
    {
        var run = await normal.GetAsync();

        var first = run["FirstInCollection.Names"];
        first.Result.ShouldBe("Pass", first.Failure);
        Value(first.Output, "collection").ShouldStartWith("isbt-xp-");
        Value(run["SecondInCollection.Names"].Output, "collection").ShouldBe(Value(first.Output, "collection"));
    }

    [Fact]
    public async Task A_per_test_class_gives_each_of_its_tests_a_sandbox_of_its_own()
    {
        var run = await normal.GetAsync();

        var prints = Regex.Match(run["PerTestOutput.Prints"].Output, @"\[(isbt-xp-\w+)\] out-line").Groups[1].Value;
        var fails = Regex.Match(run["PerTestOutput.Fails"].Output, @"\[(isbt-xp-\w+)\] before-the-failure").Groups[1].Value;
        prints.ShouldNotBeEmpty(run["PerTestOutput.Prints"].Output);
        fails.ShouldNotBeEmpty(run["PerTestOutput.Fails"].Output);
        fails.ShouldNotBe(prints);
    }

    [Fact]
    public async Task Classes_with_class_fixtures_of_their_own_run_at_the_same_time_in_sandboxes_that_do_not_see_each_other()
    {
        var run = await normal.GetAsync();

        var first = run["ParallelFirst.Is_alone_in_its_sandbox"];
        var second = run["ParallelSecond.Is_alone_in_its_sandbox"];
        // Each wrote its marker, waited until the other had written its own, and found only its own in its sandbox.
        first.Result.ShouldBe("Pass", first.Failure);
        second.Result.ShouldBe("Pass", second.Failure);
        var (firstStart, firstEnd) = Window(first.Output);
        var (secondStart, secondEnd) = Window(second.Output);
        firstStart.ShouldBeLessThan(secondEnd, "the windows overlap");
        secondStart.ShouldBeLessThan(firstEnd, "the windows overlap");
        Value(first.Output, "sandbox").ShouldStartWith("isbt-xp-");
        Value(second.Output, "sandbox").ShouldNotBe(Value(first.Output, "sandbox"));
        await using var client = new SandboxClient();
        foreach (var name in new[] { Value(first.Output, "sandbox"), Value(second.Output, "sandbox") })
            await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync(name, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_fixture_whose_sandbox_failed_to_start_fails_each_of_its_tests_with_the_cause_and_the_run_goes_on()
    {
        var run = await normal.GetAsync();

        foreach (var test in new[] { "BrokenMountTests.First", "BrokenMountTests.Second" })
        {
            run[test].Result.ShouldBe("Fail");
            run[test].Failure.ShouldContain("BrokenMount could not start its sandbox");
            run[test].Failure.ShouldContain("/nonexistent/isbt-probe-folder");
        }
        run["ClassFixtureTests.Names"].Result.ShouldBe("Pass");
    }

    [Fact]
    public async Task Fixture_events_go_to_the_diagnostic_messages()
    {
        var run = await normal.GetAsync();

        run.Console.ShouldContain("Busybox: creating sandbox 'isbt-xp-");
        run.Console.ShouldContain("MissingImage: no sandbox (ImageNotFoundException)");
    }

    [Fact]
    public async Task Fixtures_destroy_their_sandboxes_when_the_run_ends()
    {
        var run = await normal.GetAsync();

        await using var client = new SandboxClient();
        foreach (var name in new[] { Value(run["ClassFixtureTests.Names"].Output, "class"), Value(run["ClassFixtureTests.Names"].Output, "assembly"), Value(run["FirstInCollection.Names"].Output, "collection") })
            await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync(name, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task With_ISB_SANDBOX_set_a_fixture_uses_that_sandbox_and_leaves_it_alive()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var existing = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("xexist") }, TestContext.Current.CancellationToken);

        var run = await ProbeRun.StartAsync(["ExistingSandboxTests"], new Dictionary<string, string?> { ["ISB_SANDBOX"] = existing.Name });

        var test = run["ExistingSandboxTests.Writes_a_marker"];
        test.Result.ShouldBe("Pass", test.Failure + run.Console);
        Value(test.Output, "existing").ShouldBe(existing.Name);
        (await existing.RunCommandAsync("cat /root/marker", cancellationToken: TestContext.Current.CancellationToken)).EnsureSuccess().Stdout.ShouldBe("probe\n");
    }

    [Fact]
    public async Task A_test_that_times_out_kills_its_command_in_the_sandbox()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var existing = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("xtime") }, TestContext.Current.CancellationToken);

        var run = await ProbeRun.StartAsync(["TimeoutTests", "TimeoutWatcher"], new Dictionary<string, string?> { ["ISB_SANDBOX"] = existing.Name });

        var test = run["TimeoutTests.Runs_too_long"];
        test.Result.ShouldBe("Fail");
        test.Output.ShouldContain($"[{existing.Name}] started");
        // Looked for by the probe itself, while it still runs: its end would close the command's connection anyway.
        run["TimeoutWatcher.Sees_the_command_killed"].Result.ShouldBe("Pass", run["TimeoutWatcher.Sees_the_command_killed"].Failure);
    }

    /// <summary>The time window (Unix milliseconds) a probe test printed as <c>window=start-end</c>.</summary>
    private static (long Start, long End) Window(string output) =>
        WindowLine().Match(output) is { Success: true } match
            ? (long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : throw new ShouldAssertException($"No window= in:\n{output}");

    [GeneratedRegex(@"window=(\d+)-(\d+)")]
    private static partial Regex WindowLine();

    /// <summary>The value a probe test printed as <c>key=value</c> (through the sandbox's prefixed output).</summary>
    private static string Value(string output, string key) =>
        Regex.Match(output, $@"\] {key}=(\S+)") is { Success: true } match ? match.Groups[1].Value : throw new ShouldAssertException($"No {key}= in:\n{output}");
}
