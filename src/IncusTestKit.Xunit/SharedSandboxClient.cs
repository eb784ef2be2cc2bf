using System.Collections.Concurrent;
using IncusTestKit.Configuration;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Xunit;

/// <summary>
/// The one <see cref="SandboxClient"/> every fixture of the test process shares: one connection pool, one owner of the
/// sandboxes the fixtures make. It is configured from the environment (<c>INCUS_SOCKET</c>, <c>INCUS_PROJECT</c>,
/// <c>ISB_IMAGE</c>...) and logs to the running test's output (see <see cref="TestOutputLoggerFactory"/>). It is never
/// disposed: what it still owns when the process ends (normally, Ctrl-C, SIGTERM) is destroyed by the SDK's exit cleanup,
/// and when the process is killed with SIGKILL, by its crash watcher within seconds (see <see cref="SandboxClientOptions.WatchForCrash"/>).
/// </summary>
public static class SharedSandboxClient
{
    private static readonly Lazy<SandboxClient> Client = new(() => new SandboxClient(new SandboxClientOptions { LoggerFactory = TestOutputLoggerFactory.Instance, WatchForCrash = true }));
    private static readonly ConcurrentDictionary<string, Lazy<SandboxClient>> Remotes = new(StringComparer.Ordinal);

    /// <summary>The shared client, made on first use.</summary>
    /// <exception cref="Errors.IncusTestKitException">The environment names an unknown remote or a bad daemon timeout.</exception>
    public static SandboxClient Instance => Client.Value;

    /// <summary>A client of a remote of the incus client config, made on first use, for a sandbox handed over on it
    /// (<see cref="SandboxFixture.ExistingSandboxRemoteVariable"/>). It creates nothing, so it needs no crash watcher.</summary>
    /// <exception cref="Errors.IncusTestKitException">The remote is not configured, or its certificates cannot be read.</exception>
    internal static SandboxClient OfRemote(string remote) =>
        Remotes.GetOrAdd(remote, name => new(() => new SandboxClient(new SandboxClientOptions { Remote = name, LoggerFactory = TestOutputLoggerFactory.Instance }))).Value;
}
