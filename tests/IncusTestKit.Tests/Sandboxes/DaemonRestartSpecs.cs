using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>
/// Stops the daemon under a running call and starts it again. Runs alone (other tests would see the outage),
/// and only where build/bootstrap.sh started the daemon, so a workstation's own daemon is never touched.
/// </summary>
[Collection(nameof(DaemonRestartGroup))]
public sealed class DaemonRestartSpecs
{
    private const string PidFile = "/run/incustestkit/incusd.pid";

    [Fact]
    public async Task A_daemon_stopping_mid_call_gives_unavailable_and_the_client_recovers_when_it_is_back()
    {
        await IncusDaemon.RequireAsync();
        Assert.SkipUnless(Environment.GetEnvironmentVariable("ISB_DISRUPTIVE_TESTS") == "1",
            "Restarts the Incus daemon; runs only with ISB_DISRUPTIVE_TESTS=1 (./build.sh test sets it).");
        Assert.SkipUnless(DaemonStartedByBootstrap(), $"The daemon was not started by build/bootstrap.sh ({PidFile} is missing or stale), so this test will not restart it.");
        var ct = TestContext.Current.CancellationToken;
        await using var client = new SandboxClient();
        var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("restart"), AutoDestroy = false }, ct);
        try
        {
            var running = sandbox.RunCommandAsync(["sleep", "60"], new IncusTestKit.Exec.CommandOptions { Timeout = TimeSpan.FromMinutes(2) }, ct);
            await Task.Delay(500, ct);
            await StopDaemonAsync(ct);
            try
            {
                var error = await Should.ThrowAsync<IncusUnavailableException>(running.WaitAsync(TimeSpan.FromSeconds(30), ct));
                error.Message.ShouldContain("bootstrap");
                await Should.ThrowAsync<IncusUnavailableException>(() => client.ListAsync(cancellationToken: ct));
            }
            finally
            {
                await StartDaemonAsync();
            }

            (await client.GetServerInfoAsync(ct)).ApiVersion.ShouldBe("1.0");
            (await sandbox.GetStateAsync(ct)).ShouldBe(SandboxState.Running);
            (await sandbox.RunCommandAsync("echo back", cancellationToken: ct)).Stdout.ShouldBe("back\n");
        }
        finally
        {
            await client.DestroyAsync(sandbox.Name, cancellationToken: CancellationToken.None);
        }
    }

    private static bool DaemonStartedByBootstrap()
    {
        if (!File.Exists(PidFile))
            return false;
        var cmdline = $"/proc/{File.ReadAllText(PidFile).Trim()}/cmdline";
        return File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("incusd", StringComparison.Ordinal);
    }

    private static async Task StartDaemonAsync()
    {
        var result = await Cli.Wrap("bash").WithArguments([Path.Combine(RepositoryRoot(), "build", "bootstrap.sh"), "--skip-images"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"build/bootstrap.sh could not start the daemon again:\n{result.StandardOutput}{result.StandardError}");
    }

    private static async Task StopDaemonAsync(CancellationToken ct)
    {
        var pid = int.Parse((await File.ReadAllTextAsync(PidFile, ct)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // A crash: SIGKILL ends the daemon at once (SIGTERM would first wait for running operations).
        // The containers keep running, as they do across a daemon restart or upgrade.
        await Cli.Wrap("kill").WithArguments(["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExecuteAsync(ct);
        for (var i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++)
            await Task.Delay(100, ct);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "IncusTestKit.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("IncusTestKit.sln not found above the test assembly.");
    }
}

/// <summary>Keeps <see cref="DaemonRestartSpecs"/> away from every other test (xUnit runs it after the parallel ones).</summary>
[CollectionDefinition(nameof(DaemonRestartGroup), DisableParallelization = true)]
public sealed class DaemonRestartGroup;
