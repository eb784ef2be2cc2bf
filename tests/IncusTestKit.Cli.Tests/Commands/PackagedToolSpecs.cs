using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>
/// The tool as users get it: <c>dotnet pack</c> makes the package, <c>dotnet tool install</c> puts it in a tool path,
/// and the installed copy runs, as <c>dotnet-isb</c> and as <c>dotnet isb</c>.
/// </summary>
[Collection(DispInstances.Collection)]
public sealed class PackagedToolSpecs(InstalledTool tool) : IClassFixture<InstalledTool>
{
    [Fact]
    public async Task The_package_is_named_for_the_tool_and_its_version()
    {
        var installed = await tool.GetAsync();

        Path.GetFileName(installed.Package).ShouldBe($"IncusTestKit.Cli.{installed.Version}.nupkg");
    }

    [Fact]
    public async Task The_installed_tool_prints_its_informational_version()
    {
        var installed = await tool.GetAsync();

        var direct = await installed.Command("--version").ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        var throughDotnet = await CliWrap.Cli.Wrap("dotnet").WithArguments(["isb", "--version"])
            .WithEnvironmentVariables(e => e.Set("PATH", $"{installed.ToolPath}{Path.PathSeparator}{Environment.GetEnvironmentVariable("PATH")}"))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        direct.ExitCode.ShouldBe(0, direct.StandardError);
        // The informational version: the package version, then (in a git checkout) "+" and the commit.
        direct.StandardOutput.Trim().ShouldMatch($@"^{System.Text.RegularExpressions.Regex.Escape(installed.Version)}(\+[0-9a-f]+)?$");
        throughDotnet.ExitCode.ShouldBe(0, throughDotnet.StandardError);
        throughDotnet.StandardOutput.ShouldBe(direct.StandardOutput);
    }

    [Fact]
    public async Task The_installed_tool_runs_a_disposable_command()
    {
        await IncusDaemon.RequireAsync();
        var installed = await tool.GetAsync();

        var result = await installed.Command("disp", "--image", TestImages.Busybox, "--cmd", "echo installed; exit 4")
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        try
        {
            result.ExitCode.ShouldBe(4, result.StandardError);
            result.StandardOutput.ShouldBe("installed\n");
            (await DispInstances.ExistsAsync(DispInstances.NameIn(result.StandardError))).ShouldBeFalse();
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(result.StandardError);
        }
    }
}
