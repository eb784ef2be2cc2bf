using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests;

public sealed class VersionSpecs
{
    [Fact]
    public async Task The_tool_prints_its_version()
    {
        var result = await IsbTool.RunAsync("--version");

        result.ExitCode.ShouldBe(0);
        result.StandardOutput.Trim().ShouldStartWith("0.1.0");
    }
}
