using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>Every failure is one clear line (and a hint), exit code 1, no stack trace, and nothing left behind.</summary>
[Trait("Category", IsbTool.NativeSubset)]
public sealed class CreateErrorSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    [Fact]
    public async Task A_missing_image_is_a_clear_error()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("noimg");
        try
        {
            var result = await IsbTool.RunAsync("create", name, "--image", "isb/no-such-image");

            ShouldBeOneError(result, "Image 'isb/no-such-image' was not found");
            result.StandardError.ShouldContain("incus image list");
            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(1);
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task A_name_in_use_is_a_clear_error_and_the_existing_sandbox_is_untouched()
    {
        var existing = await shared.GetAsync();

        var result = await IsbTool.RunAsync("create", existing.Name, "--image", TestImages.Busybox);

        ShouldBeOneError(result, $"A sandbox named '{existing.Name}' already exists");
        (await existing.GetStateAsync(TestContext.Current.CancellationToken)).ShouldBe(SandboxState.Running);
    }

    [Theory]
    [InlineData("bad_name!")]
    [InlineData("1234")]
    [InlineData("this-name-is-much-longer-than-the-sixty-three-characters-incus-allows")]
    public async Task An_invalid_name_is_refused_before_anything_is_created(string name)
    {
        await IncusDaemon.RequireAsync();

        var result = await IsbTool.RunAsync("create", name, "--image", TestImages.Busybox);

        ShouldBeOneError(result, $"'{name}' is not a valid sandbox name");
    }

    [Fact]
    public async Task A_bad_label_or_size_is_a_clear_error()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("badopt");

        var label = await IsbTool.RunAsync("create", name, "--image", TestImages.Busybox, "--label", "novalue");
        var size = await IsbTool.RunAsync("create", name, "--image", TestImages.Busybox, "--memory", "lots");

        ShouldBeOneError(label, "The label 'novalue' has no '='");
        ShouldBeOneError(size, "--memory 'lots' is not a size");
        (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(1);
    }

    [Fact]
    public async Task A_virtual_machine_on_a_host_without_kvm_is_a_clear_error()
    {
        await IncusDaemon.RequireAsync();
        await using (var client = new SandboxClient())
        {
            Assert.SkipWhen((await client.GetServerInfoAsync(TestContext.Current.CancellationToken)).SupportsVirtualMachines,
                "This Incus server can run virtual machines, so --vm would create one instead of failing.");
        }
        var name = TestNames.New("vm");
        try
        {
            var result = await IsbTool.RunAsync("create", name, "--vm", "--image", TestImages.Busybox);

            ShouldBeOneError(result, "cannot run virtual machines");
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task Info_on_a_missing_sandbox_says_how_to_see_the_existing_ones()
    {
        await IncusDaemon.RequireAsync();

        var result = await IsbTool.RunAsync("info", TestNames.New("absent"));

        ShouldBeOneError(result, "does not exist in project 'default'");
        result.StandardError.ShouldContain("dotnet isb list");
    }

    [Fact]
    public async Task The_project_option_reaches_the_daemon()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("proj");
        try
        {
            var result = await IsbTool.RunAsync("--project", "isbt-no-such-project", "create", name, "--image", TestImages.Busybox);

            ShouldBeOneError(result, "in project 'isbt-no-such-project'");
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    private static void ShouldBeOneError(CliWrap.Buffered.BufferedCommandResult result, string expected)
    {
        result.ExitCode.ShouldBe(1);
        result.StandardOutput.ShouldBeEmpty();
        result.StandardError.ShouldStartWith("error: ");
        result.StandardError.ShouldContain(expected);
        result.StandardError.ShouldNotContain("   at ");
        result.StandardError.TrimEnd('\n').Split('\n').Length.ShouldBeLessThanOrEqualTo(2);
    }
}
