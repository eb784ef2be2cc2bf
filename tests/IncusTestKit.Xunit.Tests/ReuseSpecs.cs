using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Sharing;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

/// <summary>A fixture with <see cref="SandboxFixture.Reuse"/> shares its sandbox; one without keeps its own.</summary>
public sealed class ReuseSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reused_fixtures_of_one_configuration_share_a_sandbox_that_goes_with_the_last_of_them()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("xreuse");
        var first = new ReusedBusybox(prefix);
        var second = new ReusedBusybox(prefix);
        var own = new OwnBusybox(prefix);
        try
        {
            await Task.WhenAll(first.InitializeAsync().AsTask(), second.InitializeAsync().AsTask(), own.InitializeAsync().AsTask());

            first.IsReused.ShouldBeTrue();
            second.Sandbox.Name.ShouldBe(first.Sandbox.Name);
            first.Sandbox.Name.ShouldStartWith(prefix + "-");
            own.IsReused.ShouldBeFalse();
            own.Sandbox.Name.ShouldNotBe(first.Sandbox.Name);

            await first.DisposeAsync();
            (await second.RunCommandAsync("true", cancellationToken: Ct)).EnsureSuccess();
            await second.DisposeAsync();
            await Should.ThrowAsync<SandboxNotFoundException>(() => SandboxFixture.Client.GetByNameAsync(first.Sandbox.Name, Ct));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            await own.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_reused_repository_fixture_refuses_to_reset_the_workspace_other_processes_may_be_using()
    {
        await IncusDaemon.RequireAsync();
        using var repository = new HostFolder();
        Directory.CreateDirectory(repository[".git"]);
        repository.OpenToAll();
        var fixture = new ReusedRepository(TestNames.New("xreuse-repo"), repository.Path);
        try
        {
            await fixture.InitializeAsync();

            fixture.IsReused.ShouldBeTrue();
            var error = await Should.ThrowAsync<InvalidOperationException>(() => fixture.ResetWorkspaceAsync(Ct));
            error.Message.ShouldContain("is reused");
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    private static SandboxOptions Busybox(string prefix) =>
        new() { Image = TestImages.Busybox, Labels = new Dictionary<string, string> { ["isbt"] = prefix } };

    private sealed class ReusedBusybox(string prefix) : SandboxFixture(Busybox(prefix))
    {
        protected override SharedSandboxOptions? Reuse => new() { NamePrefix = prefix };
    }

    private sealed class OwnBusybox(string prefix) : SandboxFixture(Busybox(prefix))
    {
        protected override string NamePrefix => prefix;
    }

    private sealed class ReusedRepository(string prefix, string root) : RepositorySandbox(Busybox(prefix), root)
    {
        protected override SharedSandboxOptions? Reuse => new() { NamePrefix = prefix };
    }
}
