using System.Text.Json;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>create, list, info, stop, start, restart and destroy, through the built tool, against the real daemon.</summary>
public sealed class LifecycleSpecs
{
    [Fact]
    [Trait("Category", IsbTool.NativeSubset)]
    public async Task A_sandbox_goes_through_its_whole_life_with_json_at_every_step()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("life");
        try
        {
            var created = await IsbTool.RunJsonAsync("create", name, "--image", TestImages.Busybox, "--label", "team=cli", "--label", "run=1", "--json");
            created.GetProperty("name").GetString().ShouldBe(name);
            created.GetProperty("state").GetString().ShouldBe("running");
            created.GetProperty("type").GetString().ShouldBe("container");
            created.GetProperty("image").GetString().ShouldBe(TestImages.Busybox);
            created.GetProperty("ipv4").GetString().ShouldNotBeNullOrEmpty();
            created.GetProperty("labels").GetProperty("team").GetString().ShouldBe("cli");

            var listed = await IsbTool.RunJsonAsync("list", "--prefix", name, "--json");
            listed.GetArrayLength().ShouldBe(1);
            listed[0].GetProperty("name").GetString().ShouldBe(name);
            listed[0].GetProperty("managed").GetBoolean().ShouldBeTrue();

            var info = await IsbTool.RunJsonAsync("info", name, "--json");
            info.GetProperty("state").GetString().ShouldBe("running");
            info.GetProperty("ipv4").GetString().ShouldBe(created.GetProperty("ipv4").GetString());
            info.GetProperty("labels").GetProperty("run").GetString().ShouldBe("1");
            info.GetProperty("processes").GetInt64().ShouldBeGreaterThan(0);

            (await IsbTool.RunAsync("stop", name)).ExitCode.ShouldBe(0);
            var stopped = await IsbTool.RunJsonAsync("info", name, "--json");
            stopped.GetProperty("state").GetString().ShouldBe("stopped");
            stopped.GetProperty("processes").ValueKind.ShouldBe(JsonValueKind.Null);
            stopped.GetProperty("memoryUsage").ValueKind.ShouldBe(JsonValueKind.Null);
            (await IsbTool.RunJsonAsync("list", "--prefix", name, "--state", "running", "--json")).GetArrayLength().ShouldBe(0);
            (await IsbTool.RunJsonAsync("list", "--prefix", name, "--state", "stopped", "--json")).GetArrayLength().ShouldBe(1);

            var notRunning = await IsbTool.RunAsync("exec", name, "--", "true");
            notRunning.ExitCode.ShouldBe(1);
            notRunning.StandardError.ShouldContain("is not running");
            notRunning.StandardError.ShouldContain($"dotnet isb start {name}");

            (await IsbTool.RunAsync("start", name)).ExitCode.ShouldBe(0);
            (await StateAsync(name)).ShouldBe("running");

            (await IsbTool.RunAsync("restart", name, "--force")).ExitCode.ShouldBe(0);
            (await StateAsync(name)).ShouldBe("running");

            var destroyed = await IsbTool.RunAsync("destroy", name);
            destroyed.ExitCode.ShouldBe(0);
            var gone = await IsbTool.RunAsync("info", name);
            gone.ExitCode.ShouldBe(1);
            gone.StandardError.ShouldStartWith($"error: Sandbox '{name}' does not exist");
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Destroy_deletes_a_sandbox_with_its_snapshots_as_incus_delete_does(bool force)
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("snapdel");
        try
        {
            (await IsbTool.RunAsync("create", name, "--image", TestImages.Busybox)).ExitCode.ShouldBe(0);
            (await IsbTool.RunAsync("snapshot", name, "kept")).ExitCode.ShouldBe(0);

            var destroyed = force ? await IsbTool.RunAsync("destroy", name, "--force") : await IsbTool.RunAsync("destroy", name);

            destroyed.ExitCode.ShouldBe(0, destroyed.StandardError);
            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(1);
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task Create_prints_just_the_name_for_scripts_and_applies_every_option()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("opts");
        try
        {
            var created = await IsbTool.RunAsync("create", name, "--image", TestImages.Busybox, "--cpu", "1", "--memory", "128MiB",
                "--disk", "none", "--profile", "default", "--ephemeral", "--timeout", "45s");

            created.ExitCode.ShouldBe(0, created.StandardError);
            created.StandardOutput.ShouldBe(name + "\n");
            (await InstanceConfigAsync(name, "limits.memory")).ShouldBe("128MiB");
            (await InstanceConfigAsync(name, "limits.cpu")).ShouldBe("1");
            (await IsbTool.RunJsonAsync("info", name, "--json")).GetProperty("ephemeral").GetBoolean().ShouldBeTrue();

            // Ephemeral: stopping it is the end of it.
            (await IsbTool.RunAsync("stop", name, "--force")).ExitCode.ShouldBe(0);
            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(1);
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task Destroy_takes_several_names_and_reports_the_missing_one_after_destroying_the_others()
    {
        await IncusDaemon.RequireAsync();
        var first = TestNames.New("multi");
        var second = TestNames.New("multi");
        var missing = TestNames.New("absent");
        try
        {
            (await IsbTool.RunAsync("create", first, "--image", TestImages.Busybox)).ExitCode.ShouldBe(0);
            (await IsbTool.RunAsync("create", second, "--image", TestImages.Busybox)).ExitCode.ShouldBe(0);

            var result = await IsbTool.RunAsync("destroy", first, missing, second, "--force");

            result.ExitCode.ShouldBe(1);
            result.StandardError.ShouldStartWith($"error: Sandbox '{missing}' does not exist");
            result.StandardError.ShouldNotContain(first);
            (await IsbTool.RunJsonAsync("list", "--prefix", "isbt-multi-", "--json")).EnumerateArray()
                .Select(s => s.GetProperty("name").GetString()).ShouldNotContain(n => n == first || n == second);
        }
        finally
        {
            await Leftovers.DestroyAsync(first, second);
        }
    }

    [Fact]
    [Trait("Category", IsbTool.NativeSubset)]
    public async Task List_and_info_print_aligned_text_for_people()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("table");
        try
        {
            (await IsbTool.RunAsync("create", name, "--image", TestImages.Busybox, "--label", "team=cli")).ExitCode.ShouldBe(0);

            var result = await IsbTool.RunAsync("list", "--prefix", name);

            result.ExitCode.ShouldBe(0);
            var lines = result.StandardOutput.TrimEnd('\n').Split('\n');
            lines.Length.ShouldBe(2);
            lines[0].ShouldStartWith("NAME");
            lines[1].ShouldStartWith(name);
            lines[1].IndexOf("running", StringComparison.Ordinal).ShouldBe(lines[0].IndexOf("STATE", StringComparison.Ordinal));
            lines[1].ShouldEndWith("team=cli");
            var info = await IsbTool.RunAsync("info", name);
            info.StandardOutput.ShouldContain($"Name:       {name}\n");
            info.StandardOutput.ShouldContain("State:      running\n");
            info.StandardOutput.ShouldContain("Labels:     team=cli\n");
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    // The limits are not part of info; the incus client (installed with the daemon by the bootstrap) reads them.
    private static async Task<string> InstanceConfigAsync(string name, string key) =>
        (await CliWrap.Cli.Wrap("incus").WithArguments(["config", "get", name, key])
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken)).StandardOutput.Trim();

    private static async Task<string?> StateAsync(string name) =>
        (await IsbTool.RunJsonAsync("info", name, "--json")).GetProperty("state").GetString();
}
