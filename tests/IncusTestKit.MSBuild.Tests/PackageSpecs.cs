using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests;

/// <summary>The package as users get it. It has no tasks yet: what it is today is its name, its build and what it brings in.</summary>
public sealed class PackageSpecs
{
    [Fact]
    public async Task It_packs_as_IncusTestKit_MSBuild_with_its_assembly_on_the_SDK_of_the_same_version_and_not_on_MSBuild()
    {
        using var packed = await PackedProject.PackAsync("IncusTestKit.MSBuild", TestContext.Current.CancellationToken);

        packed.Id.ShouldBe("IncusTestKit.MSBuild");
        packed.Entries.ShouldContain(entry => entry.EndsWith("/IncusTestKit.MSBuild.dll", StringComparison.Ordinal));
        // MSBuild itself comes with the build that loads the tasks; a package that brought its own would clash with it.
        packed.Dependencies.Keys.ShouldBe(["IncusTestKit"]);
        packed.Dependencies["IncusTestKit"].ShouldBe(packed.Version);
    }
}
