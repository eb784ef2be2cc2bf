using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>
/// The tool as users get it: <c>dotnet pack</c> makes the package, <c>dotnet tool install</c> puts it in a tool path,
/// and the installed copy runs, as <c>dotnet-isb</c> and as <c>dotnet isb</c>; on linux-x64 it is the NativeAOT executable.
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
    public async Task One_pack_makes_the_tool_package_its_native_linux_x64_package_and_its_framework_dependent_fallback()
    {
        var installed = await tool.GetAsync();

        installed.Packages.ShouldBe([
            $"IncusTestKit.Cli.{installed.Version}.nupkg",
            $"IncusTestKit.Cli.any.{installed.Version}.nupkg",
            $"IncusTestKit.Cli.linux-x64.{installed.Version}.nupkg",
        ]);
    }

    [Fact]
    public async Task On_linux_x64_the_installed_command_is_the_native_executable_and_lists_sandboxes()
    {
        Assert.SkipUnless(System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier == "linux-x64", "the native package is for linux-x64");
        await IncusDaemon.RequireAsync();
        var installed = await tool.GetAsync();
        var command = new FileInfo(Path.Combine(installed.ToolPath, "dotnet-isb"));
        var target = command.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? command.FullName;

        // An ELF executable from the linux-x64 package, with no dotnet-isb.dll for a dotnet host to run.
        target.ShouldContain($"{Path.DirectorySeparatorChar}incustestkit.cli.linux-x64{Path.DirectorySeparatorChar}");
        IsbTool.IsElf(target).ShouldBeTrue();
        File.Exists(Path.Combine(Path.GetDirectoryName(target)!, "dotnet-isb.dll")).ShouldBeFalse();
        var list = await installed.Command("list", "--json")
            .WithEnvironmentVariables(e => e.Set("DOTNET_ROOT", "/nonexistent"))
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        list.ExitCode.ShouldBe(0, list.StandardError);
        list.StandardOutput.TrimStart().ShouldStartWith("[");
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
