using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Sandboxes;
using Shouldly;

namespace IncusTestKit.Tests.Client;

/// <summary>How instances the daemon sends are read (pure logic).</summary>
public sealed class InstanceModelSpecs
{
    [Fact]
    public void An_instance_the_daemon_could_not_fully_load_reads_with_empty_maps_and_lists()
    {
        // What the daemon lists for an instance it failed to load, or one being deleted under the listing.
        const string json = """
            {"name":"half","type":null,"status":"Error","status_code":112,"description":null,"project":null,
             "profiles":null,"config":null,"expanded_config":null,"devices":null,"expanded_devices":null,"state":null}
            """;

        var instance = JsonSerializer.Deserialize(json, IncusJsonContext.Default.Instance)!;
        var info = SandboxLabels.ToInfo(instance, "default");

        instance.Config.ShouldBeEmpty();
        instance.ExpandedDevices.ShouldBeEmpty();
        instance.Profiles.ShouldBeEmpty();
        info.Name.ShouldBe("half");
        info.Project.ShouldBe("default");
    }
}
