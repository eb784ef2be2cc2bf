using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>dotnet isb run</c> in a shared debian12 sandbox: each language, code from a file, stdin or --code.</summary>
public sealed class RunSpecs(DebianSandbox shared) : IClassFixture<DebianSandbox>
{
    [Theory]
    [InlineData("python", "import sys\nprint(6 * 7)\nprint('to stderr', file=sys.stderr)\nsys.exit(3)", 3, "42\nto stderr\n")]
    [InlineData("py", "print('alias')", 0, "alias\n")]
    [InlineData("node", "console.log(1 + 1); process.exitCode = 4", 4, "2\n")]
    [InlineData("js", "console.error('oops')", 0, "oops\n")]
    [InlineData("bash", "echo \"$BASH_VERSION\" | cut -c1; exit 5", 5, "5\n")]
    [InlineData("ruby", "puts [1, 2, 3].sum", 0, "6\n")]
    public async Task Code_runs_and_the_tool_exits_with_its_exit_code(string language, string code, int exitCode, string output)
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunAsync("run", name, "--language", language, "--code", code);

        result.StandardError.ShouldBeEmpty();
        result.StandardOutput.ShouldBe(output);
        result.ExitCode.ShouldBe(exitCode);
    }

    [Fact]
    public async Task Code_comes_from_a_file_whose_extension_names_the_language()
    {
        var name = (await shared.GetAsync()).Name;
        var file = Path.Combine(Path.GetTempPath(), $"isbt-{Guid.NewGuid():N}.rb");
        await File.WriteAllTextAsync(file, "puts 'from a file'\nexit 2\n", TestContext.Current.CancellationToken);
        try
        {
            var result = await IsbTool.RunAsync("run", name, file);

            result.StandardOutput.ShouldBe("from a file\n", result.StandardError);
            result.ExitCode.ShouldBe(2);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Code_comes_from_stdin_with_a_dash()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunWithStdinAsync("print('from stdin')", "run", name, "-l", "python3", "-");

        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardOutput.ShouldBe("from stdin\n");
    }

    [Fact]
    public async Task Stdin_is_the_programs_when_the_code_comes_from_elsewhere()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunWithStdinAsync("shout\n", "run", name, "-l", "py", "-c", "import sys; print(sys.stdin.read().upper(), end='')");

        result.StandardOutput.ShouldBe("SHOUT\n", result.StandardError);
    }

    [Fact]
    public async Task Json_reports_the_language_exit_code_and_output()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunAsync("run", name, "-l", "bash", "-c", "echo a; echo b >&2; exit 6", "--json");

        result.ExitCode.ShouldBe(6, result.StandardError);
        using var json = System.Text.Json.JsonDocument.Parse(result.StandardOutput);
        json.RootElement.GetProperty("language").GetString().ShouldBe("bash");
        json.RootElement.GetProperty("exitCode").GetInt32().ShouldBe(6);
        json.RootElement.GetProperty("output").GetString().ShouldBe("a\nb\n");
    }

    [Fact]
    public async Task A_language_the_image_lacks_is_a_clear_error()
    {
        var name = (await shared.GetAsync()).Name;

        var result = await IsbTool.RunAsync("run", name, "-l", "go", "-c", "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hi from go\") }");

        // isb/debian12 has go only when bootstrapped --with-go.
        if (result.ExitCode == 0)
        {
            result.StandardOutput.ShouldBe("hi from go\n");
            return;
        }
        result.ExitCode.ShouldBe(1);
        result.StandardOutput.ShouldBeEmpty();
        result.StandardError.ShouldStartWith("error: Cannot run Go code");
        result.StandardError.ShouldContain("has no 'go'");
    }

    [Fact]
    public async Task Without_a_language_or_a_file_the_tool_says_what_it_needs()
    {
        var name = (await shared.GetAsync()).Name;

        var noLanguage = await IsbTool.RunAsync("run", name, "--code", "print(1)");
        var noFile = await IsbTool.RunAsync("run", name, Path.Combine(Path.GetTempPath(), "isbt-no-such-file.py"));

        noLanguage.ExitCode.ShouldBe(1);
        noLanguage.StandardError.ShouldStartWith("error: Which language?");
        noFile.ExitCode.ShouldBe(1);
        noFile.StandardError.ShouldStartWith("error: The file '");
    }
}
