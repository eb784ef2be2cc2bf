using Xunit;

namespace SandboxTests;

/// <summary>Run with 'dotnet test' or 'dotnet build -t:SandboxTest' (./build.sh samples does the latter): these pass only inside the sandbox.</summary>
public class InsideTheSandboxTests
{
    [Fact]
    public void Runs_in_an_Incus_sandbox() =>
        Assert.Equal("1", Environment.GetEnvironmentVariable("ISB_IN_SANDBOX"));

    [Fact]
    public void Sees_the_repository_at_the_sandbox_work_folder() =>
        Assert.True(File.Exists("/workspace/samples/SandboxTests/SandboxTests.csproj"));

    [Fact]
    public void Writes_where_the_host_checkout_is_not_touched()
    {
        // The repository is overlay-mounted: this file lives in the sandbox only and goes with it.
        File.WriteAllText("/workspace/written-in-the-sandbox.txt", "gone with the sandbox");
        Assert.True(File.Exists("/workspace/written-in-the-sandbox.txt"));
    }
}
