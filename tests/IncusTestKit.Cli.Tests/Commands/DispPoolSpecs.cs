using System.Security.Cryptography;
using System.Text.Json;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>
/// <c>dotnet isb disp --pool N</c>: a run leaves N ready sandboxes of its configuration behind, and the next run claims
/// one of them instead of creating, deletes it at its end, and tops the pool up again.
/// </summary>
[Collection(DispInstances.Collection)]
public sealed class DispPoolSpecs
{
    [Fact]
    public async Task A_run_claims_a_sandbox_the_previous_run_left_ready_in_the_pool()
    {
        await IncusDaemon.RequireAsync();
        // A process limit of its own gives this test a pool key of its own, and a way to find its members.
        var processes = (700 + RandomNumberGenerator.GetInt32(200)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] run = ["disp", "--pool", "1", "--image", TestImages.Busybox, "--processes", processes, "--cmd", "hostname"];
        try
        {
            var first = await IsbTool.RunAsync(run);
            first.ExitCode.ShouldBe(0, first.StandardError);
            var left = await MembersAsync(processes);
            left.Count.ShouldBe(1, string.Join(", ", left.Select(m => $"{m.Name}={m.State}")));
            left[0].State.ShouldBe("ready");
            left[0].Name.ShouldNotBe(first.StandardOutput.Trim());

            var second = await IsbTool.RunAsync(run);

            second.ExitCode.ShouldBe(0, second.StandardError);
            second.StandardOutput.ShouldBe(left[0].Name + "\n");
            second.StandardError.ShouldContain($"isb: {left[0].Name} ready from {TestImages.Busybox} (from the pool of 1");
            second.StandardError.ShouldContain($"isb: {left[0].Name} deleted");
            var now = await MembersAsync(processes);
            now.Select(m => m.Name).ShouldNotContain(left[0].Name);
            now.Count(m => m.State == "ready").ShouldBe(1);
        }
        finally
        {
            foreach (var member in await MembersAsync(processes))
                await Leftovers.DestroyAsync([member.Name]);
        }
    }

    [Fact]
    public async Task Pool_with_no_attach_is_refused_before_anything_is_made()
    {
        var result = await IsbTool.RunAsync("disp", "--pool", "2", "--no-attach");
        result.ExitCode.ShouldBe(1, result.StandardError);
        result.StandardError.ShouldContain("--pool cannot be combined with --no-attach");
    }

    /// <summary>The instances with this process limit, with their pool state (read with the incus CLI: the labels are the SDK's own).</summary>
    private static async Task<List<(string Name, string? State)>> MembersAsync(string processes)
    {
        var json = (await CliWrap.Cli.Wrap("incus").WithArguments(["query", "/1.0/instances?recursion=1"])
            .ExecuteBufferedAsync(CancellationToken.None)).StandardOutput;
        using var instances = JsonDocument.Parse(json);
        return instances.RootElement.EnumerateArray()
            .Select(i => (Name: i.GetProperty("name").GetString()!, Config: i.GetProperty("config")))
            .Where(i => i.Config.TryGetProperty("limits.processes", out var p) && p.GetString() == processes)
            .Select(i => (i.Name, i.Config.TryGetProperty("user.isb.pool-state", out var s) ? s.GetString() : null))
            .ToList();
    }
}
