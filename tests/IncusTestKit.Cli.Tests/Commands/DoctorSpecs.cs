using System.Text.Json;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>dotnet isb doctor</c>: one line per check, the fix under each problem, exit code 1 when a sandbox cannot be made.</summary>
public sealed class DoctorSpecs
{
    private static readonly string[] Checks =
        ["config", "socket", "permissions", "daemon", "storage pool", "profile isolation", "root disk", "network", "default image", "idmapped mounts", "virtual machines"];

    [Fact]
    public async Task On_a_machine_set_up_by_the_bootstrap_every_check_passes_or_only_warns()
    {
        await IncusDaemon.RequireAsync();

        var result = await Doctor().ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.StandardOutput + result.StandardError);
        var lines = result.StandardOutput.Split('\n');
        foreach (var check in Checks)
            lines.ShouldContain(l => l.StartsWith("ok    " + check, StringComparison.Ordinal) || l.StartsWith("warn  " + check, StringComparison.Ordinal));
        lines.ShouldContain(l => l.StartsWith("ok    daemon", StringComparison.Ordinal) && l.Contains("Incus 6."));
        lines.ShouldContain(l => l.StartsWith("ok    default image", StringComparison.Ordinal) && l.Contains($"{TestImages.Busybox} (ISB_IMAGE)"));
        result.StandardOutput.ShouldContain("Ready for sandboxes");
    }

    [Fact]
    public async Task Json_has_every_check_with_its_status_and_fix()
    {
        await IncusDaemon.RequireAsync();

        var result = await Doctor("--json").ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        json.RootElement.GetProperty("ok").GetBoolean().ShouldBeTrue();
        var checks = json.RootElement.GetProperty("checks").EnumerateArray().ToList();
        checks.Select(c => c.GetProperty("name").GetString()).ShouldBe(Checks, ignoreOrder: true);
        foreach (var check in checks)
        {
            check.GetProperty("status").GetString().ShouldBeOneOf("ok", "warning", "failed");
            if (check.GetProperty("status").GetString() != "ok")
                check.GetProperty("fix").GetString().ShouldNotBeNullOrWhiteSpace();
        }
    }

    [Fact]
    public async Task A_missing_socket_fails_with_the_fix()
    {
        var result = await Doctor("--socket", "/nonexistent/isbt/unix.socket").ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(1);
        var lines = result.StandardOutput.Split('\n');
        lines.ShouldContain(l => l.StartsWith("FAIL  socket", StringComparison.Ordinal) && l.Contains("/nonexistent/isbt/unix.socket does not exist"));
        // The steps of someone who installed the tool: Incus's own commands, nothing from this repository.
        result.StandardOutput.ShouldContain("fix: Incus is not installed or not started: install Incus");
        result.StandardOutput.ShouldContain("sudo systemctl enable --now incus");
        result.StandardOutput.ShouldContain("sudo incus admin init --minimal");
        result.StandardOutput.ShouldContain("sudo usermod -aG incus-admin $USER");
        result.StandardOutput.ShouldNotContain("build.sh");
        result.StandardOutput.ShouldContain("problem(s): sandboxes cannot be created until they are fixed.");
    }

    [Fact]
    public async Task A_missing_default_image_fails_with_the_fix()
    {
        await IncusDaemon.RequireAsync();

        var result = await Doctor().WithEnvironmentVariables(e => e.Set("ISB_IMAGE", "isb/no-such-image"))
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(1);
        result.StandardOutput.Split('\n').ShouldContain(l => l.StartsWith("FAIL  default image", StringComparison.Ordinal) && l.Contains("isb/no-such-image"));
        result.StandardOutput.ShouldContain("fix: Name an image you have (incus image list) with ISB_IMAGE");
        result.StandardOutput.ShouldContain("incus image copy images:debian/12 local: --alias isb/no-such-image");
        result.StandardOutput.ShouldNotContain("build.sh");
    }

    [Fact]
    public async Task A_missing_project_fails_with_the_fix()
    {
        await IncusDaemon.RequireAsync();

        var result = await Doctor("--project", "isbt-no-such-project").ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(1);
        result.StandardOutput.Split('\n').ShouldContain(l => l.StartsWith("FAIL  project", StringComparison.Ordinal) && l.Contains("isbt-no-such-project"));
        result.StandardOutput.ShouldContain("fix: Use an existing project (incus project list), or create it: incus project create isbt-no-such-project");
    }

    // Run from an empty folder with a known default image, so neither a developer's config file nor ISB_IMAGE decides.
    private static CliWrap.Command Doctor(params string[] arguments) =>
        IsbTool.Command(["doctor", .. arguments])
            .WithWorkingDirectory(Path.GetTempPath())
            .WithEnvironmentVariables(e => e.Set("ISB_IMAGE", TestImages.Busybox).Set("XDG_CONFIG_HOME", Path.Combine(Path.GetTempPath(), "isbt-no-config")));
}
