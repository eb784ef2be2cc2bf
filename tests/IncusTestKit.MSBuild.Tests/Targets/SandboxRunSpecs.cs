using IncusTestKit.MSBuild.Tests.Infrastructure;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests.Targets;

/// <summary><c>dotnet build -t:SandboxRun</c> of a project that references the package, run as a user runs it.</summary>
public sealed class SandboxRunSpecs(GeneratedRepository repository)
{
    [Fact]
    public async Task The_command_runs_in_a_sandbox_in_the_project_folder_its_artifacts_come_back_and_the_sandbox_is_gone()
    {
        await IncusDaemon.RequireAsync();
        repository.Write(("run-ok/app.csproj", repository.Project(
            // %24 is MSBuild's escape for $: the shell in the sandbox expands it.
            properties: "<SandboxImage>isb/busybox</SandboxImage><SandboxCommand>echo host=%24(hostname) dir=%24(pwd); mkdir -p out; hostname > out/made-in.txt</SandboxCommand>",
            items: "<SandboxArtifact Include=\"out/made-in.txt\" />")));

        var run = await repository.DotNetAsync("run-ok", ["build", "-t:SandboxRun"], TestContext.Current.CancellationToken);

        run.ExitCode.ShouldBe(0, run.Output);
        var sandbox = run.CreatedSandboxes.ShouldHaveSingleItem();
        run.Output.ShouldContain($"host={sandbox} dir=/workspace/run-ok");
        File.ReadAllText(Path.Combine(repository.Root, "run-ok", "bin", "sandbox", "made-in.txt")).Trim().ShouldBe(sandbox);
        // The repository was overlay-mounted: what the command wrote stayed in the sandbox.
        Directory.Exists(Path.Combine(repository.Root, "run-ok", "out")).ShouldBeFalse();
        await Leftovers.ShouldBeGoneAsync([sandbox]);
    }

    [Fact]
    public async Task A_failing_command_fails_the_build_with_ISB1004_quoting_its_last_lines_and_the_sandbox_is_gone()
    {
        await IncusDaemon.RequireAsync();
        repository.Write(("run-fail/app.csproj", repository.Project(
            properties: "<SandboxImage>isb/busybox</SandboxImage><SandboxCommand>echo the-last-words; exit 3</SandboxCommand>")));

        var run = await repository.DotNetAsync("run-fail", ["build", "-t:SandboxRun"], TestContext.Current.CancellationToken);

        run.ExitCode.ShouldNotBe(0);
        run.Output.ShouldContain("error ISB1004: The command in sandbox");
        run.Output.ShouldContain("exited with code 3");
        run.Output.ShouldContain("Its last lines:");
        await Leftovers.ShouldBeGoneAsync(run.CreatedSandboxes);
    }

    [Fact]
    public async Task Ctrl_C_of_the_build_kills_the_command_and_leaves_no_sandbox()
    {
        await IncusDaemon.RequireAsync();
        repository.Write(("run-cancel/app.csproj", repository.Project(
            properties: "<SandboxImage>isb/busybox</SandboxImage><SandboxCommand>echo command-started; sleep 600</SandboxCommand>")));
        var started = DateTime.UtcNow;
        var (run, pressed) = await repository.DotNetWithCtrlCAsync("run-cancel", ["build", "-t:SandboxRun"],
            line => line.Trim() == "command-started", TestContext.Current.CancellationToken);

        pressed.ShouldBeTrue("the command should have started before the build was cancelled");
        run.ExitCode.ShouldNotBe(0);
        run.Output.ShouldContain("warning ISB1013: IncusSandboxExec was cancelled");
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromMinutes(3), "the build should stop, not wait for sleep 600");
        await Leftovers.ShouldBeGoneAsync(run.CreatedSandboxes);
    }

    [Theory]
    [InlineData("-p:SandboxTarget=isbt-node2", "is not a cluster")]
    [InlineData("-p:SandboxRemote=isbt-no-such-remote", "'isbt-no-such-remote' is not configured")]
    [InlineData("-p:SandboxTimeout=45min", "error ISB1007: SandboxTimeout=\"45min\" is not valid: use hours:minutes:seconds")]
    public async Task The_remote_target_and_timeout_properties_reach_the_tasks_and_bad_ones_stop_the_build_before_a_sandbox_is_made(string property, string expected)
    {
        await IncusDaemon.RequireAsync();
        repository.Write(("run-where/app.csproj", repository.Project(
            properties: "<SandboxImage>isb/busybox</SandboxImage><SandboxCommand>true</SandboxCommand>")));

        var run = await repository.DotNetAsync("run-where", ["build", "-t:SandboxRun", property], TestContext.Current.CancellationToken);

        run.ExitCode.ShouldNotBe(0);
        run.Output.ShouldContain(expected);
        run.CreatedSandboxes.ShouldBeEmpty();
    }

    [Fact]
    public async Task Without_a_command_SandboxRun_stops_with_ISB1020_before_creating_anything()
    {
        repository.Write(("run-none/app.csproj", repository.Project()));

        var run = await repository.DotNetAsync("run-none", ["build", "-t:SandboxRun"], TestContext.Current.CancellationToken);

        run.ExitCode.ShouldNotBe(0);
        run.Output.ShouldContain("error ISB1020: SandboxRun needs a command");
        run.CreatedSandboxes.ShouldBeEmpty();
    }
}
