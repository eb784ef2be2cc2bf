using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>What the daemon would accept but can never mean: limits above the host, a project that does not exist.</summary>
public sealed class HostFitSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(null, "99999TB", "The memory limit 99999TB is more than this Incus host has")]
    [InlineData(4096, null, "The CPU limit 4096 is more than this Incus host has")]
    public async Task A_limit_larger_than_the_host_is_refused_before_anything_is_created(int? cpu, string? memory, string expected)
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("fit");

        var error = await Should.ThrowAsync<ResourceLimitException>(() => client.CreateAsync(new SandboxOptions
        {
            Name = name,
            Image = TestImages.Busybox,
            Limits = new SandboxLimits { Cpu = cpu, Memory = memory },
        }, Ct));

        error.Message.ShouldContain(expected);
        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Listing_a_project_that_does_not_exist_is_an_error_not_an_empty_list()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient(new SandboxClientOptions { Project = "isbt-no-such-project" });

        var error = await Should.ThrowAsync<IncusTestKitException>(() => client.ListAsync(cancellationToken: Ct));

        error.Code.ShouldBe(SandboxErrorCode.InvalidConfiguration);
        error.Message.ShouldContain("Project 'isbt-no-such-project' does not exist");
        error.Message.ShouldContain("incus project list");
    }
}
