using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using IncusTestKit.Configuration;
using IncusTestKit.Diagnostics;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// Destroys a process's sandboxes within seconds of its death by SIGKILL, when its own exit cleanup cannot run: a
/// process of its own (Testcontainers' Ryuk, without an image or privileges) that polls its owner every second and,
/// once the owner is provably gone, sweeps that owner's sandboxes through the <see cref="LeftoverReaper"/> and exits.
/// See <see cref="SandboxClientOptions.WatchForCrash"/>.
/// </summary>
/// <remarks>
/// It is started through <c>sh</c> in the background, so it is reparented as soon as the shell exits and is in no
/// process tree a test runner kills; it then leaves the owner's process group (setpgid), so a kill of the owner's group
/// (Ctrl-C, a runner's group kill) does not reach it either, and being in no shell's job list, neither does a hangup. It
/// stays in the owner's session on purpose: the runtime scopes named mutexes to a session, and tools that load into
/// every process of a run (coverage trackers) guard a file they share with one. Its standard streams are <c>/dev/null</c>: it holds no pipe of the owner's
/// (a runner reading the owner's output would otherwise wait for it) and writes nothing. A normal exit of the owner
/// also ends it, after a sweep that finds nothing (the owner's exit cleanup was first) or what that cleanup missed.
/// </remarks>
internal static partial class CrashWatcher
{
    /// <summary>The watcher's assembly, next to this one.</summary>
    public const string AssemblyName = "IncusTestKit.Watcher.dll";

    /// <summary>How often the owner is checked.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>A watcher never lives longer than this; a longer run's leftovers go at the next sweep.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    private const int Attempts = 3;

    // One watcher per daemon and project this process makes sandboxes in (a watcher sweeps one project).
    private static readonly ConcurrentDictionary<(string Daemon, string Project), byte> Started = new();

    /// <summary>Starts the watcher of this process, the client's daemon and project, once, in the background; never throws.</summary>
    public static void StartOnce(SandboxClient client)
    {
        if (!Started.TryAdd((client.Endpoint.SocketPath ?? client.Endpoint.Address!.AbsoluteUri, client.Project), 0))
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await StartAsync(client).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A watcher that cannot start must not fail the run: the next sweep still comes.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.WatcherNotStarted(client.Logger, e.Message, e);
            }
        });
    }

    private static async Task StartAsync(SandboxClient client)
    {
        if (OwnerProcess.CurrentValue is not { } owner)
            return; // Not Linux: nothing is labelled, so nothing could be swept.
        var watcher = Path.Combine(AppContext.BaseDirectory, AssemblyName);
        // Loaded from elsewhere (an MSBuild task's folder): beside this assembly.
        if (!File.Exists(watcher) && AssemblyFolder() is { } here)
            watcher = Path.Combine(here, AssemblyName);
        if (!File.Exists(watcher))
        {
            Log.WatcherNotStarted(client.Logger, $"{AssemblyName} is not next to IncusTestKit.dll (reference the IncusTestKit.Xunit package, which brings it)", null);
            return;
        }
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // "$@" is the watcher's command line; the trailing & lets sh exit at once, which orphans the watcher.
        var runtimeConfig = RuntimeConfig();
        foreach (var argument in (string[])["-c", "\"$@\" </dev/null >/dev/null 2>&1 &", "sh", DotnetHost(), "exec", "--runtimeconfig", runtimeConfig, watcher, owner, client.Project, runtimeConfig, .. EndpointArguments(client.Endpoint)])
            start.ArgumentList.Add(argument);
        // Not CliWrap: the core package takes no dependency for one fire-and-forget start whose output is discarded.
        using var shell = Process.Start(start) ?? throw new InvalidOperationException("/bin/sh did not start");
        shell.StandardInput.Close();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await shell.WaitForExitAsync(bound.Token).ConfigureAwait(false);
        if (shell.ExitCode != 0)
        {
            File.Delete(runtimeConfig);
            throw new InvalidOperationException($"/bin/sh exited with {shell.ExitCode}: {await shell.StandardError.ReadToEndAsync(bound.Token).ConfigureAwait(false)}");
        }
        Log.WatcherStarted(client.Logger, watcher, Environment.ProcessId);
    }

    /// <summary>
    /// The endpoint on the watcher's command line: <c>unix SOCKET</c>, or <c>https ADDRESS CERTIFICATE KEY SERVERCERTIFICATE</c>
    /// (the last empty when the server is verified against the system's CAs). Only file paths, never what is in them:
    /// every process of the machine can read a command line. Made absolute, so they do not depend on a folder.
    /// </summary>
    private static string[] EndpointArguments(IncusEndpoint endpoint) =>
        endpoint.SocketPath is { } socket
            ? ["unix", Path.GetFullPath(socket)]
            : ["https", endpoint.Address!.AbsoluteUri, Path.GetFullPath(endpoint.ClientCertificatePath!), Path.GetFullPath(endpoint.ClientKeyPath!),
               endpoint.ServerCertificatePath is { } server ? Path.GetFullPath(server) : ""];

    /// <summary>The endpoint given by <see cref="EndpointArguments"/> as client options, or null when they are not well formed.</summary>
    private static SandboxClientOptions? EndpointOptions(ReadOnlySpan<string> arguments) => arguments switch
    {
        ["unix", var socket] => new SandboxClientOptions { SocketPath = socket },
        ["https", var address, var certificate, var key, var server] => new SandboxClientOptions
        {
            Address = address, ClientCertificatePath = certificate, ClientKeyPath = key, ServerCertificatePath = server.Length == 0 ? null : server,
        },
        _ => null,
    };

    /// <summary>The folder this assembly was loaded from, or null in a single-file or native app (which has none).</summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location is handled: the watcher is then looked for next to the app only.")]
    private static string? AssemblyFolder() =>
        Path.GetDirectoryName(typeof(CrashWatcher).Assembly.Location) is { Length: > 0 } folder ? folder : null;

    /// <summary>The <c>dotnet</c> that runs this process, so the watcher runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet")
            return self;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        // .../shared/Microsoft.NETCore.App/<version>/ is three levels below the dotnet root.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var dotnet = Path.Combine(root, "dotnet");
        return File.Exists(dotnet) ? dotnet : "dotnet";
    }

    /// <summary>
    /// A runtime config naming the runtime this process runs on (so it is installed): the watcher's own does not travel
    /// with a package's lib folder. One per start, under a name nobody can guess and that must not exist yet, so no other
    /// user of the temp folder can plant one (a runtime config can name startup hooks); the watcher deletes it once started.
    /// </summary>
    private static string RuntimeConfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"isb-watcher-{Guid.NewGuid():N}.runtimeconfig.json");
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var writer = new StreamWriter(file);
        writer.Write($$$$"""{"runtimeOptions":{"tfm":"net{{{{Environment.Version.Major}}}}.0","framework":{"name":"Microsoft.NETCore.App","version":"{{{{Environment.Version.ToString(3)}}}}"},"configProperties":{"System.Globalization.Invariant":true}}}""");
        return path;
    }

    /// <summary>
    /// The watcher's main: <c>OWNER PROJECT RUNTIMECONFIG</c> and the daemon's endpoint (see <see cref="EndpointArguments"/>).
    /// Deletes its runtime config (read by now), waits for the owner (an <see cref="OwnerProcess"/> label) to be gone,
    /// then destroys its sandboxes in that project, retrying a failed sweep twice.
    /// </summary>
    /// <returns>0 when nothing of the owner's is left (or the owner outlived <see cref="MaxLifetime"/>), 1 when some is, 2 on bad arguments.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3 || OwnerProcess.TryParse(args[0]) is not { } owner || EndpointOptions(args.AsSpan(3)) is not { } endpoint)
            return 2;
        _ = setpgid(0, 0);
        try
        {
            File.Delete(args[2]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stray file in the temp folder, not a reason to leave sandboxes behind.
        }
        // Made now, so a remote's certificate and key are read while they are surely there (a CI job may delete a
        // temporary incus client config as soon as its test process is gone); it connects only to sweep.
        await using var client = new SandboxClient(endpoint with { Project = args[1], DestroyOnSignal = false });
        var lifetime = Stopwatch.StartNew();
        while (!owner.IsGone())
        {
            if (lifetime.Elapsed > MaxLifetime)
                return 0;
            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
        for (var attempt = 1; ; attempt++)
        {
            var result = await new LeftoverReaper(client, args[0]).SweepAsync(dryRun: false, CancellationToken.None).ConfigureAwait(false);
            if (result.Error is null && result.Failed.Count == 0)
                return 0;
            if (attempt == Attempts)
                return 1;
            await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpgid(int pid, int group);
}
