using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>create/disp --target and the LOCATION of list and info, against a one-member cluster (a second daemon).</summary>
public sealed class ClusterSpecs(ClusterDaemon cluster) : IClassFixture<ClusterDaemon>
{
    [Fact]
    public async Task A_sandbox_created_on_a_member_shows_its_location_in_list_and_info()
    {
        await cluster.RequireAsync();
        var name = TestNames.New("clcli");
        try
        {
            var created = await RunAsync("create", name, "--image", TestImages.Busybox, "--target", ClusterDaemon.Member);
            created.ExitCode.ShouldBe(0, created.StandardError);

            var listed = await RunAsync("list", "--prefix", name);
            listed.StandardOutput.ShouldContain("LOCATION");
            listed.StandardOutput.Split('\n')[1].ShouldContain(ClusterDaemon.Member);
            var info = await IsbTool.RunJsonAsync("--socket", cluster.SocketPath, "info", name, "--json");
            info.GetProperty("location").GetString().ShouldBe(ClusterDaemon.Member);
        }
        finally
        {
            await RunAsync("destroy", name);
        }
    }

    [Fact]
    public async Task A_disposable_runs_on_the_member_it_targets_and_is_gone_after()
    {
        await cluster.RequireAsync();

        var result = await RunAsync("disp", "--image", TestImages.Busybox, "--target", "@default", "--cmd", "echo ran here");

        result.ExitCode.ShouldBe(0, result.StandardError);
        result.StandardOutput.ShouldContain("ran here");
        (await cluster.IncusAsync("list", "--format", "csv", "--columns", "n")).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unknown_member_is_one_error_that_says_how_to_see_the_members()
    {
        await cluster.RequireAsync();
        var name = TestNames.New("clbad");

        var result = await RunAsync("create", name, "--image", TestImages.Busybox, "--target", "isbt-nowhere");

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: ");
        result.StandardError.ShouldContain("'isbt-nowhere'");
        result.StandardError.ShouldContain("incus cluster list");
        result.StandardError.ShouldNotContain("   at ");
        (await cluster.IncusAsync("list", "--format", "csv", "--columns", "n")).ShouldNotContain(name);
    }

    private Task<BufferedCommandResult> RunAsync(params string[] arguments) =>
        IsbTool.Command(["--socket", cluster.SocketPath, .. arguments]).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
}
