using IncusTestKit.Tests.Infrastructure;
using CliWrap;
using CliWrap.Buffered;
using Shouldly;

namespace IncusTestKit.Cli.Tests;

[Trait("Category", IsbTool.NativeSubset)]
public sealed class VersionSpecs
{
    [Fact]
    public async Task The_tool_prints_its_version()
    {
        var result = await IsbTool.RunAsync("--version");

        result.ExitCode.ShouldBe(0);
        result.StandardOutput.Trim().ShouldStartWith("0.1.0");
    }

    [Fact]
    public async Task The_tool_under_test_is_the_native_executable_when_one_is_named()
    {
        Assert.SkipWhen(IsbTool.Executable is null, "ISB_CLI_UNDER_TEST is not set: the tests run the built dotnet-isb.dll");

        // An ELF executable that needs no dotnet: the NativeAOT build, not an apphost in front of dotnet-isb.dll.
        IsbTool.IsElf(IsbTool.Executable!).ShouldBeTrue();
        File.Exists(Path.Combine(Path.GetDirectoryName(IsbTool.Executable)!, "dotnet-isb.dll")).ShouldBeFalse();
        var result = await IsbTool.Command("--version").WithEnvironmentVariables(e => e.Set("DOTNET_ROOT", "/nonexistent").Set("PATH", "/nonexistent"))
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0, result.StandardError);
    }
}
