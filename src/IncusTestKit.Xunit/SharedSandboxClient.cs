using System.Collections.Concurrent;
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
    private static readonly Lazy<SandboxClient> Client = new(() => new SandboxClient(ForTests(new SandboxClientOptions { WatchForCrash = true })));
    private static readonly ConcurrentDictionary<string, Lazy<SandboxClient>> Remotes = new(StringComparer.Ordinal);

    /// <summary>The shared client, made on first use.</summary>
    /// <exception cref="Errors.IncusTestKitException">The environment names an unknown remote or a bad daemon timeout.</exception>
    public static SandboxClient Instance => Client.Value;

    /// <summary>A client of a remote of the incus client config, made on first use, for a sandbox handed over on it
    /// (<see cref="SandboxFixture.ExistingSandboxRemoteVariable"/>). It creates nothing, so it needs no crash watcher.</summary>
    /// <exception cref="Errors.IncusTestKitException">The remote is not configured, or its certificates cannot be read.</exception>
    internal static SandboxClient OfRemote(string remote) =>
        Remotes.GetOrAdd(remote, name => new(() => new SandboxClient(ForTests(new SandboxClientOptions { Remote = name })))).Value;

    // The log, the output of commands and the cancellation token of the running test.
    private static SandboxClientOptions ForTests(SandboxClientOptions options) => options with
    {
        LoggerFactory = TestOutputLoggerFactory.Instance,
        AmbientCancellation = () => TestContext.Current.CancellationToken,
        CommandOutputObserver = (sandbox, _) => TestOutputCommandObserver.ForRunningTest(sandbox.Name),
    };
}
