using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Benchmarks;

/// <summary>
/// Issue 14's native isb: a CI script calls the tool hundreds of times, so what counts is a whole process, start-up
/// included. The native isb, the JIT dotnet isb and the incus CLI run in turn (interleaved, so a busy moment of the
/// machine hits all three alike), each as a separate process, against the same daemon and sandbox.
/// </summary>
internal static class WholeProcessScenario
{
    public static async Task RunAsync(SandboxClient client, int runs, string prefix)
    {
        var native = BuiltTool.Native();
        var dll = BuiltTool.Dll();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = "isb/busybox", Name = $"{prefix}-proc" });

        string[] list = ["list"];
        await CompareAsync($"Whole process: list the sandboxes ({runs} runs each, interleaved)", runs,
            new Contender("`isb list` (native, whole process)", native, list),
            new Contender("`incus list`", "incus", list),
            new Contender("`dotnet isb list` (JIT, whole process)", "dotnet", [dll, .. list]));

        string[] exec = ["exec", sandbox.Name, "--", "true"];
        await CompareAsync($"Whole process: run `true` in a warm busybox sandbox ({runs} runs each, interleaved)", runs,
            new Contender("`isb exec NAME -- true` (native, whole process)", native, exec),
            new Contender("`incus exec NAME -- true`", "incus", exec),
            new Contender("`dotnet isb exec NAME -- true` (JIT, whole process)", "dotnet", [dll, .. exec]));
    }

    private static async Task CompareAsync(string title, int runs, Contender isb, Contender incus, Contender jit)
    {
        Contender[] all = [isb, incus, jit];
        // Warm the page cache and the daemon for every contender before anything is timed.
        for (var i = 0; i < 3; i++)
            foreach (var contender in all)
                await contender.RunAsync();
        var times = all.ToDictionary(c => c, _ => new List<double>());
        for (var i = 0; i < runs; i++)
        {
            foreach (var contender in all)
                times[contender].AddRange((await Measurement.TimeAsync(contender.Name, 1, _ => contender.RunAsync())).Milliseconds);
        }
        var measured = all.Select(c => new Measurement(c.Name, times[c])).ToArray();
        Measurement.Print(title, "native isb", measured[0], measured[1..]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Native isb vs incus: {measured[0].Median / measured[1].Median:0.00}x the median (target ≤ 1.5x), p95 {measured[0].P95:0.0} ms against {measured[1].P95:0.0} ms; the JIT tool takes {measured[2].Median / measured[0].Median:0.0}x the native one's median."));
        Console.WriteLine();
    }

    private sealed record Contender(string Name, string Program, string[] Arguments)
    {
        public async Task RunAsync()
        {
            // Output read in full, as a script would (a pipe closed early would end incus with SIGPIPE).
            var result = await Cli.Wrap(Program).WithArguments(Arguments).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"{Program} {string.Join(' ', Arguments)} exited with {result.ExitCode}: {result.StandardError.Trim()}");
        }
    }
}
