using System.Globalization;
using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// The daemon build/bootstrap.sh started, for the disruptive tests that kill, restart or pause it. They run only with
/// ISB_DISRUPTIVE_TESTS=1 and only against that daemon, so a workstation's own daemon is never touched; each sits in a
/// collection of its own that runs after the parallel tests of its assembly (assemblies run one after another).
/// </summary>
public static class BootstrapDaemon
{
    public const string PidFile = "/run/incustestkit/incusd.pid";

    /// <summary>Skips the test unless disruptive tests are on and the daemon is bootstrap's.</summary>
    /// <param name="what">What the test does to the daemon, for the skip reason.</param>
    public static async Task RequireAsync(string what)
    {
        await IncusDaemon.RequireAsync();
        Assert.SkipUnless(Environment.GetEnvironmentVariable("ISB_DISRUPTIVE_TESTS") == "1",
            $"{what}; runs only with ISB_DISRUPTIVE_TESTS=1 (./build.sh test sets it).");
        Assert.SkipUnless(StartedByBootstrap(), $"The daemon was not started by build/bootstrap.sh ({PidFile} is missing or stale), so this test leaves it alone.");
    }

    /// <summary>
    /// Freezes the daemon with SIGSTOP: alive, its socket still accepting connections, answering nothing. Disposing the
    /// result resumes it (SIGCONT); use it with <c>await using</c>. A detached <c>sleep; kill -CONT</c> resumes it
    /// anyway after <paramref name="atMost"/>, should this test process die while it is frozen.
    /// </summary>
    public static async Task<IAsyncDisposable> PauseAsync(TimeSpan atMost, CancellationToken ct)
    {
        var pid = await PidAsync(ct);
        var seconds = Math.Ceiling(atMost.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        _ = CliWrap.Cli.Wrap("setsid").WithArguments(["sh", "-c", $"sleep {seconds}; kill -CONT {pid}"])
            .WithValidation(CommandResultValidation.None).ExecuteAsync(CancellationToken.None);
        await SignalAsync("STOP", pid, ct);
        return new Resume(pid);
    }

    /// <summary>Ends the daemon at once, as a crash would (SIGTERM would first wait for running operations).</summary>
    public static async Task KillAsync(CancellationToken ct)
    {
        var pid = await PidAsync(ct);
        await SignalAsync("KILL", pid, ct);
        for (var i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++)
            await Task.Delay(100, ct);
    }

    /// <summary>Starts the daemon again with build/bootstrap.sh.</summary>
    public static async Task StartAsync()
    {
        var result = await CliWrap.Cli.Wrap("bash").WithArguments([Path.Combine(RepositoryRoot(), "build", "bootstrap.sh"), "--skip-images"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"build/bootstrap.sh could not start the daemon again:\n{result.StandardOutput}{result.StandardError}");
    }

    private static bool StartedByBootstrap()
    {
        if (!File.Exists(PidFile))
            return false;
        var cmdline = $"/proc/{File.ReadAllText(PidFile).Trim()}/cmdline";
        return File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("incusd", StringComparison.Ordinal);
    }

    private static async Task<int> PidAsync(CancellationToken ct) =>
        int.Parse((await File.ReadAllTextAsync(PidFile, ct)).Trim(), CultureInfo.InvariantCulture);

    private static Task SignalAsync(string signal, int pid, CancellationToken ct) =>
        CliWrap.Cli.Wrap("kill").WithArguments([$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]).ExecuteAsync(ct);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "IncusTestKit.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("IncusTestKit.sln not found above the test assembly.");
    }

    // Never cancelled: the daemon must run again whatever happened to the test.
    private sealed class Resume(int pid) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await SignalAsync("CONT", pid, CancellationToken.None);
    }
}
