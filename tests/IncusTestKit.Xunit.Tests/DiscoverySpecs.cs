using System.Net.Sockets;
using CliWrap.Buffered;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

/// <summary>IDE test explorers discover often: finding the tests must not touch the daemon.</summary>
public sealed class DiscoverySpecs
{
    [Fact]
    public async Task Listing_the_tests_makes_no_connection_to_the_daemon()
    {
        // A socket of this test's own in place of the daemon's: every connection to it is counted, then closed.
        var socketPath = Path.Combine(Path.GetTempPath(), $"isbt-{Guid.NewGuid():N}.socket");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen();
        using var stop = new CancellationTokenSource();
        var connections = 0;
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                using var connection = await listener.AcceptAsync(stop.Token);
                Interlocked.Increment(ref connections);
            }
        }, CancellationToken.None);
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            bound.CancelAfter(TimeSpan.FromSeconds(60));
            // Every class of the probe, theories' data included (as IDEs ask for it).
            var list = await ProbeRun.Command([], new Dictionary<string, string?> { ["INCUS_SOCKET"] = socketPath }, ["-list", "tests", "-preEnumerateTheories"])
                .ExecuteBufferedAsync(bound.Token);

            list.ExitCode.ShouldBe(0, list.StandardOutput + list.StandardError);
            list.StandardOutput.ShouldContain("IncusTestKit.Xunit.Probe.ClassFixtureTests.Names");
            list.StandardOutput.ShouldContain("IncusTestKit.Xunit.Probe.DirectCreate.Creates_a_sandbox_of(image: \"isb/busybox\")");
            list.StandardError.ShouldBeEmpty();
            Volatile.Read(ref connections).ShouldBe(0);
            // Nor one still waiting to be accepted.
            listener.Poll(0, SelectMode.SelectRead).ShouldBeFalse();
        }
        finally
        {
            await stop.CancelAsync();
            await accepting.ContinueWith(_ => { }, TaskScheduler.Default);
            File.Delete(socketPath);
        }
    }
}
