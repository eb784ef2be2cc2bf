using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Client;

public sealed class DaemonSpecs
{
    [Fact]
    public async Task I_can_read_the_servers_api_version_over_the_socket()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();

        var info = await client.GetServerInfoAsync(TestContext.Current.CancellationToken);

        info.ApiVersion.ShouldBe("1.0");
        info.ServerVersion.ShouldNotBeNullOrWhiteSpace();
        info.ApiExtensions.ShouldContain("instance_create_start");
        info.ApiExtensions.ShouldContain("container_exec_recording");
    }
}
