using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests;

/// <summary>The package as users get it: a build-time package whose tasks load from tasks/ in their own load context.</summary>
public sealed class PackageSpecs
{
    [Fact]
    public async Task It_ships_its_targets_under_build_and_the_tasks_with_their_dependencies_and_deps_json_under_tasks_and_nothing_else()
    {
        using var packed = await PackedProject.PackAsync("IncusTestKit.MSBuild", TestContext.Current.CancellationToken);

        packed.Id.ShouldBe("IncusTestKit.MSBuild");
        packed.Entries.ShouldContain("build/IncusTestKit.MSBuild.props");
        packed.Entries.ShouldContain("build/IncusTestKit.MSBuild.targets");
        var tasks = packed.Entries.Where(e => e.StartsWith("tasks/net10.0/", StringComparison.Ordinal)).Select(Path.GetFileName).ToList();
        tasks.ShouldContain("IncusTestKit.MSBuild.dll");
        tasks.ShouldContain("IncusTestKit.MSBuild.deps.json");
        tasks.ShouldContain("IncusTestKit.dll");
        tasks.ShouldContain("Microsoft.Extensions.Logging.Abstractions.dll");
        // MSBuild brings its own; a copy in the package would clash with the build that loads the tasks.
        tasks.ShouldNotContain(t => t!.StartsWith("Microsoft.Build", StringComparison.Ordinal));
        // Nothing for the user's app: no lib/, and no package dependencies flowing into the project.
        packed.Entries.ShouldNotContain(e => e.StartsWith("lib/", StringComparison.Ordinal));
        packed.Dependencies.ShouldBeEmpty();
    }
}
