using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// A second Incus daemon, made a one-member cluster, for the tests of cluster targets. Enabling clustering cannot be
/// undone, so it is never done to the shared test daemon: this one has its own folder (<c>INCUS_DIR</c>), socket,
/// <c>dir</c> storage pool, no network, loopback HTTPS on a free port, and a copy of the busybox image exported from the
/// shared daemon. Dispose shuts it down (its instances stop with it) and deletes the folder; a folder left by a killed
/// run is shut down and deleted at the next start.
/// </summary>
public sealed class ClusterDaemon : IAsyncLifetime
{
    /// <summary>The member the cluster is enabled as.</summary>
    public const string Member = "isbt-member1";

    /// <summary>A cluster group with no member.</summary>
    public const string EmptyGroup = "isbt-empty";

    private const string Daemon = "/usr/libexec/incus/incusd";
    private const string FolderPrefix = "isbt-cluster-";
    private const string OwnerFile = "test-process.pid";

    private string _folder = "";
    private CancellationTokenSource? _stop;
    private CommandTask<CommandResult>? _process;
    private readonly StringBuilder _errors = new();

    /// <summary>The daemon's Unix socket.</summary>
    public string SocketPath => Path.Combine(_folder, "unix.socket");

    /// <summary>Why this machine cannot run a second daemon, when it cannot (the test then skips, or fails under ISB_REQUIRE_INCUS=1).</summary>
    public string? Problem { get; private set; }

    /// <summary>A client of this daemon.</summary>
    public SandboxClient NewClient() => new(new IncusTestKit.Configuration.SandboxClientOptions { SocketPath = SocketPath, DefaultImage = TestImages.Busybox });

    /// <summary>Skips (or fails, when required) the calling test when there is no cluster daemon.</summary>
    public async Task RequireAsync()
    {
        await IncusDaemon.RequireAsync();
        if (Problem is null)
            return;
        if (IncusDaemon.Required)
            Assert.Fail($"ISB_REQUIRE_INCUS=1 but the cluster test daemon could not start: {Problem}");
        Assert.Skip($"The cluster test daemon could not start: {Problem}");
    }

    public async ValueTask InitializeAsync()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(Daemon) || Environment.UserName != "root")
        {
            Problem = $"a second daemon needs {Daemon} and root (run ./build.sh bootstrap as root).";
            return;
        }
        await ShutDownLeftoversAsync();
        _folder = Directory.CreateTempSubdirectory(FolderPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(_folder, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        // The containers' root (a high uid) must be able to reach their rootfs below this folder.
        File.SetUnixFileMode(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        _stop = new CancellationTokenSource();
        _process = CliWrap.Cli.Wrap(Daemon).WithArguments(["--group", "root", "--logfile", Path.Combine(_folder, "incusd.log")])
            .WithEnvironmentVariables(e => e.Set("INCUS_DIR", _folder)).WithValidation(CommandResultValidation.None)
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(_errors))
            .ExecuteAsync(_stop.Token);
        try
        {
            // A new daemon makes its database first; on a loaded 2-core CI host that took more than 30 s once.
            await RunAsync(Daemon, _folder, "waitready", "--timeout", "100");
            await IncusAsync("storage", "create", "default", "dir");
            await IncusAsync("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default");
            await IncusAsync("config", "set", "core.https_address", $"127.0.0.1:{FreePort()}");
            await IncusAsync("cluster", "enable", Member);
            await IncusAsync("cluster", "group", "create", EmptyGroup);
            var image = Path.Combine(_folder, "busybox-image");
            await RunAsync("incus", env: null, "image", "export", TestImages.Busybox, image);
            await IncusAsync("image", "import", image + ".tar", "--alias", TestImages.Busybox);
        }
        catch (Exception e)
        {
            Problem = e.Message + (_process.Task.IsCompleted ? $" (incusd exited: {_errors.ToString().Trim()})" : "");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
            return;
        await ShutDownAsync(_folder);
        try
        {
            await _process.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            await _stop!.CancelAsync(); // Kills it: a daemon that did not shut down in 30 s will not.
        }
        catch (OperationCanceledException)
        {
        }
        _stop!.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>Runs the incus client against this daemon.</summary>
    public Task<string> IncusAsync(params string[] arguments) => RunAsync("incus", _folder, arguments);

    // A run killed before its dispose leaves its daemon running and its folder; a folder whose test process lives is
    // another run's.
    private static async Task ShutDownLeftoversAsync()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var owner = Path.Combine(folder, OwnerFile);
            if (File.Exists(owner) && Directory.Exists("/proc/" + File.ReadAllText(owner).Trim()))
                continue;
            await ShutDownAsync(folder);
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task ShutDownAsync(string folder)
    {
        if (File.Exists(Path.Combine(folder, "unix.socket")))
        {
            await CliWrap.Cli.Wrap(Daemon).WithArguments(["shutdown", "--timeout", "30"]).WithEnvironmentVariables(e => e.Set("INCUS_DIR", folder))
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None);
        }
    }

    private static async Task<string> RunAsync(string program, string? env, params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var command = CliWrap.Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None);
        if (env is not null)
            command = command.WithEnvironmentVariables(e => e.Set("INCUS_DIR", env));
        var result = await command.ExecuteBufferedAsync(timeout.Token);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} failed: {result.StandardError.Trim()}");
        return result.StandardOutput;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
