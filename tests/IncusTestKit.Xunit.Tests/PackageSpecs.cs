using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

/// <summary>The package as users get it: its id, the assemblies it ships and what it brings in (what its types do is in the
/// specs that run the probe test assembly).</summary>
public sealed class PackageSpecs
{
    [Fact]
    public async Task It_packs_as_IncusTestKit_Xunit_with_its_assembly_and_the_crash_watcher_on_the_SDK_of_the_same_version_and_xunit_v3()
    {
        using var packed = await PackedProject.PackAsync("IncusTestKit.Xunit", TestContext.Current.CancellationToken);

        packed.Id.ShouldBe("IncusTestKit.Xunit");
        packed.Entries.ShouldContain("lib/net10.0/IncusTestKit.Xunit.dll");
        // The crash watcher the fixtures start travels in this package, not as a package of its own.
        packed.Entries.ShouldContain("lib/net10.0/IncusTestKit.Watcher.dll");
        packed.Dependencies.Keys.Order(StringComparer.Ordinal).ShouldBe(["IncusTestKit", "xunit.v3.extensibility.core"]);
        packed.Dependencies["IncusTestKit"].ShouldBe(packed.Version);
    }
}
