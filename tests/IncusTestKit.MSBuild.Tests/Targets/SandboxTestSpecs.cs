using IncusTestKit.MSBuild.Tests.Infrastructure;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests.Targets;

/// <summary>A test project's tests run inside a sandbox, and host-side tests given one sandbox, through real <c>dotnet test</c>.</summary>
public sealed class SandboxTestSpecs(GeneratedRepository repository)
{
    private string TestProject(string properties = "") => repository.Project(
        properties: "<IsPackable>false</IsPackable><OutputType>Exe</OutputType>" + properties,
        items: """
               <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.11.0" />
               <PackageReference Include="xunit.v3.mtp-off" Version="4.0.2" />
               <PackageReference Include="xunit.runner.visualstudio" Version="4.0.1" />
               """);

    [Fact]
    public async Task Dotnet_test_with_UseIncusSandbox_runs_the_tests_in_a_sandbox_brings_the_TRX_back_and_fails_the_build_when_one_fails()
    {
        await IncusDaemon.RequireAsync();
        repository.Write(
            ("inside/tests.csproj", TestProject()),
            ("inside/Tests.cs", """
                public class Tests
                {
                    [Xunit.Fact] public void Runs_in_a_sandbox() => Xunit.Assert.StartsWith("isbt-msb-", System.Environment.MachineName);
                    [Xunit.Fact] public void Fails_on_purpose() => Xunit.Assert.Fail("failed-on-purpose in " + System.Environment.MachineName);
                }
                """));

        var run = await repository.DotNetAsync("inside", ["test", "-p:UseIncusSandbox=true"], TestContext.Current.CancellationToken);

        run.ExitCode.ShouldNotBe(0);
        var sandbox = run.CreatedSandboxes.ShouldHaveSingleItem();
        run.Output.ShouldContain($"failed-on-purpose in {sandbox}");
        run.Output.ShouldContain("error ISB1018: The tests failed in the sandbox");
        var trx = Directory.GetFiles(Path.Combine(repository.Root, "inside", "TestResults"), "*.trx").ShouldHaveSingleItem();
        var results = File.ReadAllText(trx);
        results.ShouldContain("outcome=\"Passed\"");
        results.ShouldContain("outcome=\"Failed\"");
        // The tests were built in the sandbox, not on the host.
        Directory.Exists(Path.Combine(repository.Root, "inside", "bin", "Debug")).ShouldBeFalse();
        await Leftovers.ShouldBeGoneAsync([sandbox]);
    }

    [Fact]
    public async Task Dotnet_test_with_ProvideIncusSandbox_hands_host_tests_one_sandbox_as_ISB_SANDBOX_and_destroys_it_when_they_fail()
    {
        await IncusDaemon.RequireAsync();
        repository.Write(
            ("host/tests.csproj", TestProject("<SandboxImage>isb/busybox</SandboxImage>")),
            ("host/Tests.cs", """
                public class Tests
                {
                    [Xunit.Fact] public void Sees_the_sandbox() =>
                        System.IO.File.WriteAllText(System.IO.Path.Combine(System.AppContext.BaseDirectory, "handed-over.txt"), System.Environment.GetEnvironmentVariable("ISB_SANDBOX") ?? "none");
                    [Xunit.Fact] public void Fails_on_purpose() => Xunit.Assert.Fail("failed-on-purpose");
                }
                """));

        var run = await repository.DotNetAsync("host", ["test", "-p:ProvideIncusSandbox=true"], TestContext.Current.CancellationToken);

        run.ExitCode.ShouldNotBe(0, run.Output);
        var sandbox = run.CreatedSandboxes.ShouldHaveSingleItem();
        File.ReadAllText(Path.Combine(repository.Root, "host", "bin", "Debug", "net10.0", "handed-over.txt")).ShouldBe(sandbox);
        await Leftovers.ShouldBeGoneAsync([sandbox]);
    }
}
