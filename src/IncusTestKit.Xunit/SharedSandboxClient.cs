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

    /// <summary>The shared client, made on first use.</summary>
    /// <exception cref="Errors.IncusTestKitException">The environment names an unknown remote or a bad daemon timeout.</exception>
    public static SandboxClient Instance => Client.Value;
}
