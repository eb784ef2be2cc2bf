using System.Diagnostics;
using System.Globalization;
using IncusTestKit.Mounts;
using IncusTestKit.Pooling;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Benchmarks;

/// <summary>
/// Issue 11's per-test clean state: what a test pays for a clean sandbox with each candidate, next to a fresh create of
/// the same image, interleaved in one run. A warm pool's claim (each claim finds the pool refilled, waited for outside the
/// timing, as a test does when tests are slower than a create); a restore of a snapshot taken of a running sandbox when it
/// was clean; a copy-on-write copy of a prepared template's snapshot, started (raw REST API: the SDK has no copy); and a
/// fresh overlay upper layer at /workspace (an unmount and a mount: what <c>RepositorySandbox.ResetWorkspaceAsync</c>
/// does). Each reuse candidate is dirtied before its timing and checked clean after it, and each is followed by a first
/// <c>true</c>, timed apart: what a test runs first.
/// </summary>
internal static class CleanStateScenario
{
    private static readonly string[] True = ["true"];

    public static async Task RunAsync(SandboxClient client, RawIncusApi raw, string image, int runs, string prefix)
    {
        var options = new SandboxOptions { Image = image };
        var workspace = Directory.CreateTempSubdirectory("isbbench-workspace-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(workspace.FullName, "README"), "a repository's files\n");
            // The image unpacked on the storage pool before anything is timed; then the candidates' prepared sandboxes.
            await using (await client.CreateAsync(options with { Name = $"{prefix}-cwarm" }))
            {
            }
            await using var pool = new SandboxPool(client, options, new SandboxPoolOptions { Size = 2, NamePrefix = $"{prefix}-pool" });
            await using var restored = await client.CreateAsync(options with { Name = $"{prefix}-restore" });
            await restored.CreateSnapshotAsync("clean");
            await using var template = await client.CreateAsync(options with { Name = $"{prefix}-template" });
            await template.CreateSnapshotAsync("clean");
            await using var overlaid = await client.CreateAsync(options with
            {
                Name = $"{prefix}-overlay",
                Mounts = [new MountOptions(workspace.FullName, "/workspace")],
            });
            await pool.WarmUpAsync();

            var create = new Contender("`CreateAsync` (running + IPv4 address)");
            var claim = new Contender("`SandboxPool.AcquireAsync` from a warm pool (Size 2)");
            var restore = new Contender("`RestoreSnapshotAsync` of a running sandbox's clean snapshot");
            var copy = new Contender("copy of a prepared template's snapshot + start (REST)");
            var reset = new Contender("fresh overlay upper layer at /workspace (unmount + mount)");
            for (var i = 0; i < runs; i++)
            {
                await using (var fresh = await create.TimeAsync(() => client.CreateAsync(options with { Name = $"{prefix}-cc-{i}" })))
                    await create.FirstAsync(fresh);

                await pool.WarmUpAsync();
                await using (var claimed = await claim.TimeAsync(() => pool.AcquireAsync()))
                    await claim.FirstAsync(claimed);

                (await restored.RunCommandAsync("touch /dirty")).EnsureSuccess();
                await restore.TimeAsync(async () => { await restored.RestoreSnapshotAsync("clean"); return restored; });
                await restore.FirstAsync(restored);
                (await restored.RunCommandAsync("test ! -e /dirty")).EnsureSuccess();

                var copyName = $"{prefix}-cp-{i}";
                await copy.TimeAsync(async () => { await raw.CopyAndStartAsync(template.Name, "clean", copyName); return template; });
                var copied = await client.GetByNameAsync(copyName);
                await copy.FirstAsync(copied);
                await copied.DestroyAsync();

                (await overlaid.RunCommandAsync("touch /workspace/dirty")).EnsureSuccess();
                await reset.TimeAsync(async () =>
                {
                    await overlaid.UnmountAsync("/workspace");
                    await overlaid.MountAsync(new MountOptions(workspace.FullName, "/workspace"));
                    return overlaid;
                });
                await reset.FirstAsync(overlaid);
                (await overlaid.RunCommandAsync("test ! -e /workspace/dirty && test -f /workspace/README")).EnsureSuccess();
            }

            var baseline = create.Cost;
            Measurement.Print($"A clean `{image}` sandbox per test: each candidate against a fresh create ({runs} runs each, interleaved)",
                "fresh create", baseline, claim.Cost, restore.Cost, copy.Cost, reset.Cost);
            Measurement.Print("The first `true` after it", "fresh create", create.First, claim.First, restore.First, copy.First, reset.First);
            foreach (var candidate in new[] { claim, restore, copy, reset })
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"- {candidate.Cost.Name}: a fresh create costs {baseline.Median / candidate.Cost.Median:0.0}x its median (target ≥ 3x)."));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Pool acquire median {claim.Cost.Median:0.0} ms (target < 50 ms), p95 {claim.Cost.P95:0.0} ms."));
            Console.WriteLine();
        }
        finally
        {
            workspace.Delete(recursive: true);
        }
    }

    /// <summary>One candidate's timings: what makes the sandbox clean, and the first command after it.</summary>
    private sealed class Contender(string name)
    {
        private readonly List<double> _cost = [];
        private readonly List<double> _first = [];

        public Measurement Cost => new(name, _cost);

        public Measurement First => new($"first `true` after: {name}", _first);

        public async Task<Sandbox> TimeAsync(Func<Task<Sandbox>> makeClean)
        {
            var stopwatch = Stopwatch.StartNew();
            var sandbox = await makeClean();
            _cost.Add(stopwatch.Elapsed.TotalMilliseconds);
            return sandbox;
        }

        public async Task FirstAsync(Sandbox sandbox)
        {
            var stopwatch = Stopwatch.StartNew();
            (await sandbox.RunCommandAsync(True)).EnsureSuccess();
            _first.Add(stopwatch.Elapsed.TotalMilliseconds);
        }
    }
}
