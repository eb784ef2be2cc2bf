using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Benchmarks;

/// <summary>
/// A busy CI host: many processes at once on one daemon. N parallel <c>dotnet isb disp --cmd 'echo ok'</c> against
/// N parallel <c>incus launch</c> + <c>incus exec</c> + <c>incus delete</c>, each process's wall time and failures counted.
/// </summary>
internal static class ParallelScenario
{
    public static async Task RunAsync(int processes, string prefix)
    {
        var tool = BuiltTool.Dll();
        // One of each first: the image unpacked on the pool, the tool's files in the page cache.
        await RunDispAsync(tool);
        await RunCliAsync($"{prefix}-pwarm");

        var disp = await TimeAllAsync(processes, _ => RunDispAsync(tool));
        var cli = await TimeAllAsync(processes, i => RunCliAsync($"{prefix}-par-{i}"));

        Console.WriteLine($"## {processes} processes at once: a sandbox, `echo ok` in it, gone");
        Console.WriteLine();
        Console.WriteLine("| contender | wall s | slowest process s | median process s | failures |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        Row($"`dotnet isb disp --image isb/busybox --cmd 'echo ok'` x{processes}", disp);
        Row($"`incus launch` + `incus exec -- echo ok` + `incus delete --force` x{processes}", cli);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"disp wall time: {disp.Wall.TotalSeconds / cli.Wall.TotalSeconds:0.00}x the CLI's (target ≤ 2x), {disp.Failures.Count} failures (target 0)."));
        foreach (var failure in disp.Failures.Concat(cli.Failures).Take(5))
            Console.WriteLine($"- {failure}");
        Console.WriteLine();
    }

    private static void Row(string name, Outcome outcome)
    {
        var times = outcome.Seconds.Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {outcome.Wall.TotalSeconds:0.0} | {times[^1]:0.0} | {times[times.Length / 2]:0.0} | {outcome.Failures.Count} |"));
    }

    private static async Task<Outcome> TimeAllAsync(int processes, Func<int, Task<string?>> run)
    {
        var wall = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, processes).Select(async i =>
        {
            var own = Stopwatch.StartNew();
            var failure = await run(i);
            return (Seconds: own.Elapsed.TotalSeconds, Failure: failure);
        }));
        return new Outcome(wall.Elapsed, results.Select(r => r.Seconds).ToList(), results.Select(r => r.Failure).OfType<string>().ToList());
    }

    /// <returns>Why it failed, or null.</returns>
    private static async Task<string?> RunDispAsync(string tool)
    {
        var result = await Cli.Wrap("dotnet").WithArguments([tool, "disp", "--image", "isb/busybox", "--cmd", "echo ok", "--quiet"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        return result.ExitCode == 0 && result.StandardOutput.Trim() == "ok"
            ? null
            : $"disp exited {result.ExitCode}: {result.StandardError.Trim()}";
    }

    private static async Task<string?> RunCliAsync(string name)
    {
        string[][] steps = [["launch", "isb/busybox", name], ["exec", name, "--", "echo", "ok"], ["delete", "--force", name]];
        foreach (var step in steps)
        {
            var result = await Cli.Wrap("incus").WithArguments(step).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
            if (result.ExitCode != 0)
                return $"incus {step[0]} exited {result.ExitCode}: {result.StandardError.Trim()}";
        }
        return null;
    }

    private sealed record Outcome(TimeSpan Wall, IReadOnlyList<double> Seconds, IReadOnlyList<string> Failures);
}
