using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>What a new user ran into: each now says what is wrong instead of passing silently.</summary>
public sealed class RoughEdgeSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    [Fact]
    public async Task Listing_a_project_that_does_not_exist_says_so()
    {
        await IncusDaemon.RequireAsync();

        foreach (var json in new[] { false, true })
        {
            string[] format = json ? ["--json"] : [];
            var result = await IsbTool.RunAsync(["list", "--project", "isbt-no-such-project", .. format]);

            result.ExitCode.ShouldBe(1);
            result.StandardOutput.ShouldBeEmpty();
            result.StandardError.ShouldStartWith("error: Project 'isbt-no-such-project' does not exist");
            result.StandardError.ShouldContain("incus project list");
        }
    }

    [Fact]
    public async Task A_value_starting_with_an_at_sign_is_taken_as_written_not_as_a_response_file()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("atsign");
        try
        {
            var created = await IsbTool.RunJsonAsync("create", name, "--image", TestImages.Busybox, "--label", "owner=@team", "--json");

            created.GetProperty("labels").GetProperty("owner").GetString().ShouldBe("@team");
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task A_program_missing_from_the_sandbox_is_said_so_with_exit_code_127()
    {
        var name = (await shared.GetAsync()).Name;

        var missing = await IsbTool.RunAsync("exec", name, "--", "/no/such/binary");
        var exits127 = await IsbTool.RunAsync("exec", name, "--", "sh", "-c", "exit 127");
        var json = await IsbTool.RunAsync("exec", name, "--json", "--", "/no/such/binary");

        missing.ExitCode.ShouldBe(127);
        missing.StandardError.ShouldContain($"error: The program '/no/such/binary' was not found in sandbox '{name}'.");
        missing.StandardError.ShouldContain("hint: ");
        // A program that ran and exited with 127 itself is its own business: no error, nothing invented.
        exits127.ExitCode.ShouldBe(127);
        exits127.StandardError.ShouldBeEmpty();
        json.ExitCode.ShouldBe(127);
        json.StandardOutput.ShouldContain("\"commandNotFound\": true");
    }

    [Fact]
    public async Task List_shows_the_image_a_sandbox_was_created_from_even_when_another_tool_made_it()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("img");
        try
        {
            await CliWrap.Cli.Wrap("incus").WithArguments(["init", TestImages.Busybox, name, "--quiet"])
                .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

            var listed = await IsbTool.RunJsonAsync("list", "--prefix", name, "--json");
            var table = await IsbTool.RunAsync("list", "--prefix", name);
            var info = await IsbTool.RunJsonAsync("info", name, "--json");

            listed[0].GetProperty("image").GetString().ShouldBe(TestImages.Busybox);
            table.StandardOutput.Split('\n')[1].ShouldContain($" {TestImages.Busybox} ");
            info.GetProperty("image").GetString().ShouldBe(TestImages.Busybox);
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Theory]
    [InlineData("--memory", "99999TB", "The memory limit 99999TB is more than this Incus host has")]
    [InlineData("--cpu", "4096", "The CPU limit 4096 is more than this Incus host has")]
    public async Task A_limit_larger_than_the_host_is_refused(string option, string value, string expected)
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("big");
        try
        {
            var result = await IsbTool.RunAsync("create", name, "--image", TestImages.Busybox, option, value);

            result.ExitCode.ShouldBe(1);
            result.StandardError.ShouldStartWith($"error: {expected}");
            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(1);
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }
}
