using System.Text.Json;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

/// <summary><see cref="SandboxTest.Pool"/>: per-test sandboxes claimed from a warm pool, each clean, none shared, none left.</summary>
public sealed partial class PoolSpecs
{
    private static readonly string[] Tests = ["First", "Second", "Third", "Fourth"];

    [Fact]
    public async Task Tests_of_a_pooled_class_get_clean_sandboxes_of_their_own_mostly_claimed_from_the_pool_and_none_is_left()
    {
        await IncusDaemon.RequireAsync();

        var run = await ProbeRun.StartAsync(["PooledTests"]);

        var results = Tests.Select(t => run[$"PooledTests.{t}"]).ToList();
        foreach (var result in results)
            result.Result.ShouldBe("Pass", result.Failure + run.Console);
        var names = results.Select(r => Pooled().Match(r.Output).Groups[1].Value).ToList();
        names.ShouldAllBe(n => n.StartsWith("isbt-xp-", StringComparison.Ordinal));
        names.Distinct().Count().ShouldBe(Tests.Length);
        // The first test finds the pool still filling; the later ones, each 3 s after the last, find it ready.
        results.Count(r => r.Output.Contains("pool-state=claimed", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(2, string.Join("\n", results.Select(r => r.Output)));
        (await LeftAsync()).ShouldBeEmpty();
    }

    [GeneratedRegex(@"pooled=(\S+)")]
    private static partial Regex Pooled();

    /// <summary>The probe's pooled sandboxes still there (found by their label, read with the incus CLI).</summary>
    private static async Task<List<string>> LeftAsync()
    {
        var json = (await Cli.Wrap("incus").WithArguments(["query", "/1.0/instances?recursion=1"]).ExecuteBufferedAsync(CancellationToken.None)).StandardOutput;
        using var instances = JsonDocument.Parse(json);
        var left = instances.RootElement.EnumerateArray()
            .Where(i => i.GetProperty("config").TryGetProperty("user.probe", out var probe) && probe.GetString() == "pool")
            .Select(i => i.GetProperty("name").GetString()!)
            .ToList();
        await using var client = new Sandboxes.SandboxClient();
        foreach (var name in left)
            await client.DestroyAsync(name, cancellationToken: CancellationToken.None);
        return left;
    }
}
