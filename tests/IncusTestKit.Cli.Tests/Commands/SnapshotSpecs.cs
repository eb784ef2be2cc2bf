using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>snapshot</c>, <c>snapshots</c>, <c>restore</c> and <c>snapshot-delete</c> in a shared busybox sandbox.</summary>
public sealed class SnapshotSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    [Fact]
    public async Task Restore_brings_back_a_deleted_file()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        (await IsbTool.RunAsync("exec", name, "--sh", "echo keep > /root/kept.txt")).ExitCode.ShouldBe(0);

        var snapshot = await IsbTool.RunAsync("snapshot", name, "before");
        var table = await IsbTool.RunAsync("snapshots", name);
        var json = await IsbTool.RunJsonAsync("snapshots", name, "--json");
        (await IsbTool.RunAsync("exec", name, "--", "rm", "/root/kept.txt")).ExitCode.ShouldBe(0);
        var restore = await IsbTool.RunAsync("restore", name, "before");
        var read = await IsbTool.RunAsync("exec", name, "--", "cat", "/root/kept.txt");
        var delete = await IsbTool.RunAsync("snapshot-delete", name, "before");
        var after = await IsbTool.RunJsonAsync("snapshots", name, "--json");

        snapshot.ExitCode.ShouldBe(0, snapshot.StandardError);
        snapshot.StandardOutput.ShouldBe("before\n");
        table.ExitCode.ShouldBe(0, table.StandardError);
        var lines = table.StandardOutput.TrimEnd('\n').Split('\n');
        lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["NAME", "CREATED", "AGE", "EXPIRES"]);
        lines.ShouldContain(l => l.StartsWith("before ", StringComparison.Ordinal));
        var listed = json.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "before");
        listed.GetProperty("stateful").GetBoolean().ShouldBeFalse();
        listed.GetProperty("createdAt").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddHours(-1));
        restore.ExitCode.ShouldBe(0, restore.StandardError);
        read.StandardOutput.ShouldBe("keep\n");
        delete.ExitCode.ShouldBe(0, delete.StandardError);
        after.EnumerateArray().ShouldNotContain(s => s.GetProperty("name").GetString() == "before");
    }

    [Fact]
    public async Task A_snapshot_without_a_name_gets_one_and_prints_it()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;

        var snapshot = await IsbTool.RunAsync("snapshot", name);

        snapshot.ExitCode.ShouldBe(0, snapshot.StandardError);
        var snap = snapshot.StandardOutput.TrimEnd('\n');
        snap.ShouldNotBeNullOrWhiteSpace();
        snap.ShouldNotContain('\n');
        var listed = await IsbTool.RunJsonAsync("snapshots", name, "--json");
        listed.EnumerateArray().ShouldContain(s => s.GetProperty("name").GetString() == snap);
        (await IsbTool.RunAsync("snapshot-delete", name, snap)).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task A_missing_snapshot_is_a_clear_error()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;

        var restore = await IsbTool.RunAsync("restore", name, "no-such-snap");
        var delete = await IsbTool.RunAsync("snapshot-delete", name, "no-such-snap");

        foreach (var result in new[] { restore, delete })
        {
            result.ExitCode.ShouldBe(1);
            result.StandardError.ShouldStartWith("error: ");
            result.StandardError.ShouldContain("no-such-snap");
            result.StandardError.ShouldNotContain("   at ");
        }
    }
}
