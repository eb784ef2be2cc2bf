using IncusTestKit.MSBuild.Tasks;
using IncusTestKit.MSBuild.Tests.Infrastructure;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Microsoft.Build.Framework;
using TaskItem = Microsoft.Build.Utilities.TaskItem;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests.Tasks;

/// <summary>The tasks run in this process against the real daemon, with a recording build engine in MSBuild's place.</summary>
public sealed class TaskSpecs : IAsyncLifetime
{
    private readonly RecordingBuildEngine _engine = new();
    private readonly string _host = Directory.CreateTempSubdirectory("isbt-msbuild-task-").FullName;

    public async ValueTask InitializeAsync() => await IncusDaemon.RequireAsync();

    private T OnEngine<T>(T task) where T : Microsoft.Build.Utilities.Task
    {
        task.BuildEngine = _engine;
        return task;
    }

    private string Create(bool destroyAfterBuild = true, string? environmentVariable = null)
    {
        var create = OnEngine(new IncusSandboxCreate
        {
            Image = TestImages.Busybox, NamePrefix = GeneratedRepository.SandboxPrefix + "task-", DestroyAfterBuild = destroyAfterBuild,
            Labels = [new TaskItem("team", new Dictionary<string, string> { ["Value"] = "build" })], EnvironmentVariable = environmentVariable,
        });
        create.Execute().ShouldBeTrue(string.Join('\n', _engine.Errors.Select(e => e.Message)));
        return create.SandboxName;
    }

    private string Errors => string.Join('\n', _engine.Errors.Select(e => $"{e.Code}: {e.Message}"));

    private IEnumerable<string> High => _engine.Messages.Where(m => m.Importance == MessageImportance.High).Select(m => m.Message!);

    [Fact]
    public async Task Exec_logs_each_line_as_it_comes_and_a_failure_quotes_the_last_lines_with_its_code()
    {
        var sandbox = Create();

        var ok = OnEngine(new IncusSandboxExec { SandboxName = sandbox, Command = "echo out-line; echo err-line >&2; pwd", WorkingDirectory = "/tmp" });
        ok.Execute().ShouldBeTrue(Errors);
        High.ShouldContain("out-line");
        High.ShouldContain("err-line");
        High.ShouldContain("/tmp");

        var ignored = OnEngine(new IncusSandboxExec { SandboxName = sandbox, Arguments = [new TaskItem("sh"), new TaskItem("-c"), new TaskItem("exit 4")], IgnoreExitCode = true });
        ignored.Execute().ShouldBeTrue();
        ignored.ExitCode.ShouldBe(4);

        var failed = OnEngine(new IncusSandboxExec { SandboxName = sandbox, Command = "echo before-failing; exit 5", EnvironmentVariables = ["A=b=c"] });
        failed.Execute().ShouldBeFalse();
        failed.ExitCode.ShouldBe(5);
        var error = _engine.Errors.ShouldHaveSingleItem();
        error.Code.ShouldBe("ISB1004");
        error.Message.ShouldBe($"The command in sandbox {sandbox} exited with code 5: sh -c echo before-failing; exit 5\nIts last lines:\nbefore-failing\nSet IgnoreExitCode=\"true\" on the task to go on anyway.");

        _engine.Clear();
        OnEngine(new IncusSandboxExec { SandboxName = sandbox, Arguments = [new TaskItem("no-such-program")] }).Execute().ShouldBeFalse();
        _engine.Errors.ShouldHaveSingleItem().Code.ShouldBe("ISB1005");

        _engine.Clear();
        OnEngine(new IncusSandboxExec { SandboxName = sandbox, Command = "sleep 30", Timeout = "00:00:01" }).Execute().ShouldBeFalse();
        _engine.Errors.ShouldHaveSingleItem().Code.ShouldBe("ISB1006");
        _engine.EndBuild();
    }

    [Fact]
    public async Task Push_pull_and_snapshot_move_files_both_ways_and_a_missing_source_is_an_error_unless_skipped()
    {
        var sandbox = Create();
        Directory.CreateDirectory(Path.Combine(_host, "in", "data"));
        File.WriteAllText(Path.Combine(_host, "in", "data", "a.txt"), "pushed");
        File.WriteAllText(Path.Combine(_host, "in", "b.txt"), "single");

        OnEngine(new IncusSandboxPush
        {
            SandboxName = sandbox, DestinationFolder = "/work",
            Sources = [new TaskItem(Path.Combine(_host, "in", "data")), new TaskItem(Path.Combine(_host, "in", "b.txt"), new Dictionary<string, string> { ["Destination"] = "/elsewhere/renamed.txt" })],
        }).Execute().ShouldBeTrue();
        OnEngine(new IncusSandboxExec { SandboxName = sandbox, Command = "cat /work/data/a.txt /elsewhere/renamed.txt; mkdir -p /work/out/sub; echo result > /work/out/sub/r.txt" }).Execute().ShouldBeTrue();
        High.ShouldContain("pushedsingle");

        var pull = OnEngine(new IncusSandboxPull { SandboxName = sandbox, Sources = ["out", "missing"], WorkingDirectory = "/work", ContentsOnly = true, SkipMissing = true, DestinationFolder = Path.Combine(_host, "back") });
        pull.Execute().ShouldBeTrue();
        File.ReadAllText(Path.Combine(_host, "back", "sub", "r.txt")).ShouldBe("result\n");
        pull.Pulled.Select(p => p.ItemSpec).ShouldBe([Path.Combine(_host, "back", "sub")]);

        OnEngine(new IncusSandboxPull { SandboxName = sandbox, Sources = ["/work/missing"], DestinationFolder = Path.Combine(_host, "back") }).Execute().ShouldBeFalse();
        _engine.Errors.ShouldHaveSingleItem().Code.ShouldBe("ISB1011");

        var snapshot = OnEngine(new IncusSandboxSnapshot { SandboxName = sandbox, SnapshotName = "after-work" });
        snapshot.Execute().ShouldBeTrue();
        snapshot.SnapshotName.ShouldBe("after-work");
        await using var client = new SandboxClient();
        var found = await client.GetByNameAsync(sandbox, TestContext.Current.CancellationToken);
        (await found.ListSnapshotsAsync(TestContext.Current.CancellationToken)).Select(s => s.Name).ShouldBe(["after-work"]);
        _engine.EndBuild();
    }

    [Fact]
    public async Task Pulling_the_contents_of_a_hostile_folder_copies_only_what_may_land_on_the_host_and_warns_for_the_rest()
    {
        var sandbox = Create();
        // Names and kinds the code in the sandbox controls: a link out of the folder, a backslash, a newline, a FIFO.
        OnEngine(new IncusSandboxExec
        {
            SandboxName = sandbox,
            Command = "mkdir -p /r && cd /r && echo fine > ok.txt && ln -s /etc/passwd out-link && echo x > 'back\\slash' " +
                      "&& echo y > \"$(printf 'new\\nline')\" && mkfifo pipe",
        }).Execute().ShouldBeTrue(Errors);
        var back = Path.Combine(_host, "hostile");

        var pull = OnEngine(new IncusSandboxPull { SandboxName = sandbox, Sources = ["/r"], ContentsOnly = true, DestinationFolder = back });
        pull.Execute();

        File.ReadAllText(Path.Combine(back, "ok.txt")).ShouldBe("fine\n");
        foreach (var entry in Directory.EnumerateFileSystemEntries(back))
        {
            var info = new FileInfo(entry);
            Path.GetDirectoryName(entry).ShouldBe(back);
            if (info.LinkTarget is { } target)
                Path.GetFullPath(target, back).ShouldStartWith(back + Path.DirectorySeparatorChar, customMessage: $"{entry} links out of the destination");
            (info.Attributes & FileAttributes.Device).ShouldNotBe(FileAttributes.Device);
        }
        File.Exists(Path.Combine(back, "pipe")).ShouldBeFalse();
        _engine.Warnings.Select(w => w.Code).ShouldAllBe(code => code == "ISB1015");
        _engine.Warnings.Count.ShouldBeGreaterThanOrEqualTo(2); // the link and the FIFO at least
        _engine.EndBuild();
    }

    [Fact]
    public async Task The_end_of_the_build_destroys_what_it_created_unless_it_was_kept_and_destroy_is_idempotent()
    {
        var variable = "ISBT_MSBUILD_" + Guid.NewGuid().ToString("N")[..8];
        var dropped = Create(environmentVariable: variable);
        var kept = Create(destroyAfterBuild: false);
        Environment.GetEnvironmentVariable(variable).ShouldBe(dropped);

        _engine.EndBuild();

        await using var client = new SandboxClient();
        var names = (await client.ListAsync(prefix: GeneratedRepository.SandboxPrefix, cancellationToken: TestContext.Current.CancellationToken)).Select(s => s.Name).ToList();
        names.ShouldNotContain(dropped);
        names.ShouldContain(kept);

        var engine = new RecordingBuildEngine();
        var destroy = new IncusSandboxDestroy { BuildEngine = engine, SandboxNames = [kept, kept, dropped], EnvironmentVariable = variable };
        destroy.Execute().ShouldBeTrue();
        // The SDK's own log goes to the build log too, marked as its own.
        engine.Messages.ShouldContain(m => m.Message!.StartsWith($"isb: Destroyed sandbox {kept}", StringComparison.Ordinal) && m.Importance == MessageImportance.Low);
        engine.Messages.Select(m => m.Message).Where(m => !m!.StartsWith("isb: ", StringComparison.Ordinal)).ShouldBe([$"Sandbox {kept} destroyed.", $"Sandbox {kept} was already gone.", $"Sandbox {dropped} was already gone."]);
        Environment.GetEnvironmentVariable(variable).ShouldBeNull();
        engine.EndBuild();
    }

    [Fact]
    public void A_sandbox_that_does_not_exist_is_ISB1003()
    {
        OnEngine(new IncusSandboxExec { SandboxName = TestNames.New("msb-missing"), Command = "true" }).Execute().ShouldBeFalse();

        _engine.Errors.ShouldHaveSingleItem().Code.ShouldBe("ISB1003");
        _engine.EndBuild();
    }

    [Fact]
    public async Task Cancel_kills_the_running_command_and_the_task_says_it_was_cancelled()
    {
        var sandbox = Create();
        var exec = OnEngine(new IncusSandboxExec { SandboxName = sandbox, Command = "echo started; sleep 600" });

        var running = Task.Run(exec.Execute, TestContext.Current.CancellationToken);
        (await Poll.UntilAsync(() => Task.FromResult(High.Contains("started")), TimeSpan.FromSeconds(60))).ShouldBeTrue("the command should start");
        exec.Cancel();

        (await running.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken)).ShouldBeFalse();
        _engine.Warnings.ShouldHaveSingleItem().Code.ShouldBe("ISB1013");
        _engine.Errors.ShouldBeEmpty();
        _engine.EndBuild();
    }

    public ValueTask DisposeAsync()
    {
        _engine.EndBuild();
        Directory.Delete(_host, recursive: true);
        return ValueTask.CompletedTask;
    }
}
