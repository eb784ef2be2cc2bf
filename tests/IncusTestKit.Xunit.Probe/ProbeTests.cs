using IncusTestKit.Sandboxes;

namespace IncusTestKit.Xunit.Probe;

// Each class is one scenario; the specs start the probe with -class and read the xml results.

public sealed class DirectCreate
{
    [SandboxFact]
    public async Task Creates_a_sandbox()
    {
        await using var sandbox = await SharedSandboxClient.Instance.CreateAsync(
            new SandboxOptions { Image = "isb/busybox", Name = $"isbt-xp-{Guid.NewGuid():N}"[..18] }, TestContext.Current.CancellationToken);
    }

    [SandboxTheory]
    [InlineData("isb/busybox")]
    public async Task Creates_a_sandbox_of(string image)
    {
        await using var sandbox = await SharedSandboxClient.Instance.CreateAsync(
            new SandboxOptions { Image = image, Name = $"isbt-xp-{Guid.NewGuid():N}"[..18] }, TestContext.Current.CancellationToken);
    }
}

public sealed class MissingImageTests(MissingImage fixture) : IClassFixture<MissingImage>
{
    [SandboxFact]
    public Task First() => fixture.RunCommandAsync("true");

    [SandboxFact]
    public Task Second() => fixture.RunCommandAsync("true");

    [Fact]
    public Task Plain_fact() => fixture.RunCommandAsync("true");
}

public sealed class PerTestMissingImage() : SandboxTest(new SandboxOptions { Image = "isb/no-such-image" })
{
    protected override string NamePrefix => "isbt-xp";

    [SandboxFact]
    public Task Runs() => RunCommandAsync("true");
}

public sealed class BrokenMountTests(BrokenMount fixture) : IClassFixture<BrokenMount>
{
    [SandboxFact]
    public Task First() => fixture.RunCommandAsync("true");

    [SandboxFact]
    public Task Second() => fixture.RunCommandAsync("true");
}

public sealed class PerTestOutput() : SandboxTest(new SandboxOptions { Image = "isb/busybox" })
{
    protected override string NamePrefix => "isbt-xp";

    // The SDK's own call, as a user writes it: the shared client routes its output.
    [SandboxFact]
    public async Task Prints() => (await Sandbox.RunCommandAsync("echo out-line; echo err-line >&2; printf no-newline")).EnsureSuccess();

    [SandboxFact]
    public async Task Fails()
    {
        await RunCommandAsync("echo before-the-failure");
        Assert.Fail("deliberate failure");
    }
}

public sealed class ClassFixtureTests(Busybox fixture, AssemblyBusybox assembly) : IClassFixture<Busybox>
{
    [SandboxFact]
    public async Task Names() =>
        (await fixture.RunCommandAsync($"echo class=$(hostname); echo assembly={assembly.Sandbox.Name}")).EnsureSuccess();

    [SandboxFact]
    public async Task Names_again() =>
        (await fixture.RunCommandAsync($"echo class=$(hostname); echo assembly={assembly.Sandbox.Name}")).EnsureSuccess();
}

[Collection("shared")]
public sealed class FirstInCollection(CollectionBusybox fixture)
{
    [SandboxFact]
    public async Task Names() => (await fixture.RunCommandAsync("echo collection=$(hostname)")).EnsureSuccess();
}

[Collection("shared")]
public sealed class SecondInCollection(CollectionBusybox fixture)
{
    [SandboxFact]
    public async Task Names() => (await fixture.RunCommandAsync("echo collection=$(hostname)")).EnsureSuccess();
}

public sealed class ExistingSandboxTests(Busybox fixture) : IClassFixture<Busybox>
{
    [SandboxFact]
    public async Task Writes_a_marker()
    {
        Assert.True(fixture.IsExisting);
        (await fixture.RunCommandAsync("echo probe > /root/marker; echo existing=$(hostname)")).EnsureSuccess();
    }
}

public sealed class RepositoryTests(Repository repo) : IClassFixture<Repository>
{
    private static readonly Exec.CommandOptions InWorkspace = new() { WorkingDirectory = RepositorySandbox.WorkspacePath };

    [SandboxFact]
    public async Task Edits_builds_and_deletes()
    {
        (await repo.RunCommandAsync(
            "echo changed >> README.md && echo new > made.txt && mkdir -p out && echo built > out/app && rm -rf src && chmod 600 README.md && ls",
            InWorkspace)).EnsureSuccess();
        var after = await repo.RunCommandAsync("test ! -e src && cat made.txt out/app && tail -1 README.md", InWorkspace);
        Assert.Equal("new\nbuilt\nchanged\n", after.EnsureSuccess().Stdout);
    }

    [SandboxFact]
    public async Task Resets_the_workspace()
    {
        (await repo.RunCommandAsync("echo left > left-behind.txt && echo isbt-reset-marker >> README.md", InWorkspace)).EnsureSuccess();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await repo.ResetWorkspaceAsync();
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        TestContext.Current.TestOutputHelper!.WriteLine($"reset-ms={elapsed.TotalMilliseconds:0}");
        var after = await repo.RunCommandAsync("test ! -e left-behind.txt && ! grep -q isbt-reset-marker README.md && echo clean", InWorkspace);
        Assert.Equal("clean\n", after.EnsureSuccess().Stdout);
    }

    [SandboxFact]
    public async Task Lists_the_workspace() => (await repo.RunCommandAsync("ls -a", InWorkspace)).EnsureSuccess();
}

public sealed class TimeoutTests(Busybox fixture) : IClassFixture<Busybox>
{
    // The SDK's own call, given no token: the shared client passes the test's.
    [SandboxFact(Timeout = 3000)]
    public async Task Runs_too_long() =>
        await fixture.Sandbox.RunCommandAsync("echo $$ > /tmp/probe-pid; echo started; exec sleep 600", new Exec.CommandOptions { Timeout = Timeout.InfiniteTimeSpan });
}

/// <summary>Runs next to TimeoutTests (another class: in parallel) and watches, while this process still lives, for
/// its command to be gone after its timeout.</summary>
public sealed class TimeoutWatcher(Busybox fixture) : IClassFixture<Busybox>
{
    [SandboxFact]
    public async Task Sees_the_command_killed()
    {
        var pid = "";
        for (var attempt = 0; attempt < 100 && pid.Length == 0; attempt++)
        {
            pid = (await fixture.RunCommandAsync("cat /tmp/probe-pid 2>/dev/null || true")).Stdout.Trim();
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        Assert.NotEqual("", pid);
        // The timeout comes 3 s after the start, the kill within a second or two of it.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if ((await fixture.RunCommandAsync($"test -e /proc/{pid} && echo alive || true")).Stdout.Length == 0)
                return;
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"The timed-out test's command (pid {pid}) is still running 10 s later.");
    }
}

/// <summary>Per-test sandboxes from a warm pool; each test slower than a create, as the tests a pool pays for.</summary>
public sealed class PooledTests() : SandboxTest(new SandboxOptions { Image = "isb/busybox", Labels = new Dictionary<string, string> { ["probe"] = "pool" } })
{
    protected override string NamePrefix => "isbt-xp";

    protected override Pooling.SandboxPoolOptions? Pool => new() { Size = 2 };

    [SandboxFact]
    public Task First() => UseAsync();

    [SandboxFact]
    public Task Second() => UseAsync();

    [SandboxFact]
    public Task Third() => UseAsync();

    [SandboxFact]
    public Task Fourth() => UseAsync();

    private async Task UseAsync()
    {
        // Clean: no test before this one wrote here.
        (await RunCommandAsync("test ! -e /marker && touch /marker && echo pooled=$(hostname)")).EnsureSuccess();
        using var incus = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("incus", ["config", "get", Sandbox.Name, "user.isb.pool-state"])
        {
            RedirectStandardOutput = true,
        })!;
        var state = (await incus.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)).Trim();
        await incus.WaitForExitAsync(TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper!.WriteLine($"pool-state={(state.Length == 0 ? "none" : state)}");
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
    }
}

/// <summary>
/// Makes a class and an assembly sandbox through the fixtures, writes their names to the file named by
/// ISB_PROBE_NAMES_FILE, and holds on until that file is deleted (a normal end) or the process is killed.
/// </summary>
public sealed class HeldRun(Busybox fixture, AssemblyBusybox assembly) : IClassFixture<Busybox>
{
    [SandboxFact]
    public async Task Holds_its_sandboxes()
    {
        var names = Environment.GetEnvironmentVariable("ISB_PROBE_NAMES_FILE")!;
        await File.WriteAllLinesAsync($"{names}.tmp", [fixture.Sandbox.Name, assembly.Sandbox.Name], TestContext.Current.CancellationToken);
        File.Move($"{names}.tmp", names); // Whole or not at all, for the spec reading it.
        while (File.Exists(names))
            await Task.Delay(100, TestContext.Current.CancellationToken);
    }
}

/// <summary>
/// Writes the name of its reused sandbox to the file named by ISB_PROBE_NAMES_FILE and holds on until that file is deleted
/// (a normal end) or the process is killed.
/// </summary>
public sealed class ReusedRun(ReusedBusybox fixture) : IClassFixture<ReusedBusybox>
{
    [SandboxFact]
    public async Task Holds_its_reused_sandbox()
    {
        var names = Environment.GetEnvironmentVariable("ISB_PROBE_NAMES_FILE")!;
        await File.WriteAllLinesAsync($"{names}.tmp", [fixture.Sandbox.Name], TestContext.Current.CancellationToken);
        File.Move($"{names}.tmp", names);
        while (File.Exists(names))
            await Task.Delay(100, TestContext.Current.CancellationToken);
    }
}
