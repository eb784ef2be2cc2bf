using Shouldly;

namespace IncusTestKit.MSBuild.Tests;

public sealed class PackageSpecs
{
    [Fact]
    public void The_package_builds_on_the_sdk() =>
        typeof(IncusTestKit.Sandboxes.SandboxClient).Assembly.GetName().Name.ShouldBe("IncusTestKit");
}
