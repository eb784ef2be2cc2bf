using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>SandboxOptions.Target on a real one-member cluster (a second daemon), and on the shared daemon, which is not one.</summary>
public sealed class ClusterTargetSpecs(ClusterDaemon cluster) : IClassFixture<ClusterDaemon>
{
    [Fact]
    public async Task A_sandbox_created_on_a_member_says_where_it_runs_in_its_info_and_in_the_listing()
    {
        await cluster.RequireAsync();
        await using var client = cluster.NewClient();
        var name = TestNames.New("member");
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Name = name, Target = ClusterDaemon.Member },
            TestContext.Current.CancellationToken);

        (await sandbox.GetInfoAsync(TestContext.Current.CancellationToken)).Location.ShouldBe(ClusterDaemon.Member);
        var listed = await client.ListAsync(prefix: name, cancellationToken: TestContext.Current.CancellationToken);
        listed.ShouldHaveSingleItem().Location.ShouldBe(ClusterDaemon.Member);
        (await sandbox.RunCommandAsync("hostname", cancellationToken: TestContext.Current.CancellationToken)).Stdout.Trim().ShouldBe(name);
    }

    [Fact]
    public async Task A_group_target_lets_the_cluster_pick_one_of_its_members()
    {
        await cluster.RequireAsync();
        await using var client = cluster.NewClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Name = TestNames.New("group"), Target = "@default" },
            TestContext.Current.CancellationToken);

        (await sandbox.GetInfoAsync(TestContext.Current.CancellationToken)).Location.ShouldBe(ClusterDaemon.Member);
    }

    [Theory]
    [InlineData("isbt-no-such-member")]
    [InlineData("@isbt-no-such-group")]
    [InlineData("@" + ClusterDaemon.EmptyGroup)]
    public async Task A_target_the_cluster_cannot_place_it_on_is_refused_with_how_to_see_the_members_and_nothing_is_left(string target)
    {
        await cluster.RequireAsync();
        await using var client = cluster.NewClient();
        var name = TestNames.New("target");

        var error = await Should.ThrowAsync<IncusTestKitException>(() =>
            client.CreateAsync(new SandboxOptions { Name = name, Target = target }, TestContext.Current.CancellationToken));

        error.Code.ShouldBe(SandboxErrorCode.InvalidTarget);
        error.Message.ShouldContain($"'{target}'");
        error.Message.ShouldContain("incus cluster list");
        (await client.ListAsync(prefix: name, cancellationToken: TestContext.Current.CancellationToken)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_server_that_is_not_a_cluster_refuses_a_target_and_says_to_leave_it_unset()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("notcluster");

        var error = await Should.ThrowAsync<IncusTestKitException>(() =>
            client.CreateAsync(new SandboxOptions { Name = name, Image = TestImages.Busybox, Target = "node2" }, TestContext.Current.CancellationToken));

        error.Code.ShouldBe(SandboxErrorCode.InvalidTarget);
        error.Message.ShouldContain("is not a cluster");
        error.Message.ShouldContain("Leave the target unset");
        (await client.ListAsync(prefix: name, cancellationToken: TestContext.Current.CancellationToken)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("@")]
    [InlineData("node 2")]
    [InlineData("node2?project=other")]
    [InlineData("../node2")]
    public async Task A_target_that_cannot_name_a_member_or_group_is_refused_before_anything_is_sent(string target)
    {
        await using var client = new SandboxClient(new IncusTestKit.Configuration.SandboxClientOptions { SocketPath = "/nonexistent/unix.socket" });

        var error = await Should.ThrowAsync<InvalidNameException>(() =>
            client.CreateAsync(new SandboxOptions { Target = target }, TestContext.Current.CancellationToken));

        error.Message.ShouldContain("is not a cluster target");
    }
}
