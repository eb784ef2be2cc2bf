using IncusTestKit.Configuration;
using IncusTestKit.Sandboxes;
using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>
/// The one <see cref="SandboxClient"/> every fixture of the test process shares: one connection pool, one owner of the
/// sandboxes the fixtures make. It is configured from the environment (<c>INCUS_SOCKET</c>, <c>INCUS_PROJECT</c>,
/// <c>ISB_IMAGE</c>...). Inside a test, every call through it (and its sandboxes) that is given no token takes the
/// test's <see cref="ITestContext.CancellationToken"/>, so a cancelled or timed-out test kills its commands, and what
/// each command prints goes to the test's output, a line at a time prefixed with the sandbox's name
/// (<c>[name] </c>, <c>[name stderr] </c>). It logs to the running test's output too (see <see cref="TestOutputLoggerFactory"/>). It is never
/// disposed: what it still owns when the process ends (normally, Ctrl-C, SIGTERM) is destroyed by the SDK's exit cleanup,
/// and when the process is killed with SIGKILL, by its crash watcher within seconds (see <see cref="SandboxClientOptions.WatchForCrash"/>).
/// </summary>
public static class SharedSandboxClient
{
    private static readonly Lazy<SandboxClient> Client = new(() => new SandboxClient(new SandboxClientOptions
    {
        LoggerFactory = TestOutputLoggerFactory.Instance,
        WatchForCrash = true,
        AmbientCancellation = () => TestContext.Current.CancellationToken,
        CommandOutputObserver = (sandbox, _) => TestOutputCommandObserver.ForRunningTest(sandbox.Name),
    }));

    /// <summary>The shared client, made on first use.</summary>
    /// <exception cref="Errors.IncusTestKitException">The environment names an unknown remote or a bad daemon timeout.</exception>
    public static SandboxClient Instance => Client.Value;
}
