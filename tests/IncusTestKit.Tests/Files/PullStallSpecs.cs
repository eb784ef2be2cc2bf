using System.Diagnostics;
using System.Runtime.Versioning;
using IncusTestKit.Errors;
using IncusTestKit.Files;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Files;

/// <summary>A sandbox that makes a pull wait: the daemon cannot open a file while the sandbox holds a lease on it.</summary>
[SupportedOSPlatform("linux")]
public sealed class PullStallSpecs(DebianSandbox shared) : IClassFixture<DebianSandbox>
{
    private const string HoldLease = """
        import fcntl, os, signal, sys, time
        signal.signal(signal.SIGIO, signal.SIG_IGN)  # told to let go: ignore it, the kernel then waits lease-break-time (45 s)
        fd = os.open(sys.argv[1], os.O_RDWR)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
        print("held", flush=True)
        time.sleep(120)
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_file_that_delivers_nothing_stops_the_pull_after_the_stall_timeout()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var remote = $"/tmp/stall-{Guid.NewGuid():N}";
        await sandbox.Files.WriteFileAsync("/tmp/lease.py", HoldLease, cancellationToken: Ct);
        (await sandbox.RunCommandAsync(["sh", "-c", $"mkdir -p {remote} && head -c 5000 /dev/urandom > {remote}/held && "
            + $"setsid python3 /tmp/lease.py {remote}/held > {remote}.out 2>&1 < /dev/null & "
            + $"for i in $(seq 50); do grep -q held {remote}.out 2>/dev/null && exit 0; sleep 0.1; done; cat {remote}.out; exit 1"], cancellationToken: Ct)).EnsureSuccess();
        var clock = Stopwatch.StartNew();

        var error = await Should.ThrowAsync<SandboxTimeoutException>(() =>
            sandbox.Files.PullAsync(remote, host["out"], new PullOptions { StallTimeout = TimeSpan.FromSeconds(2) }, Ct));

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
        error.Message.ShouldContain($"'{remote}/held'");
        error.Message.ShouldContain("delivered nothing for 2 s");
    }
}
