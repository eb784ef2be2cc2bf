using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Client;

/// <summary>
/// The daemon accepts one connection at a time and waits for its first bytes before accepting the next, so a
/// connection we open and leave silent stalls every other client of the daemon (see FirstWriteConnectStream).
/// </summary>
public sealed class ConnectionPoolSpecs
{
    [Fact]
    public async Task A_burst_of_concurrent_requests_leaves_the_daemon_free_to_accept_other_clients()
    {
        await IncusDaemon.RequireAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var busy = new SandboxClient();

        for (var round = 0; round < 5; round++)
        {
            // Many requests racing for connections: the pool starts connections for waiting requests that other,
            // freed connections then serve. Those spare connections must not reach the daemon silent.
            await Task.WhenAll(Enumerable.Range(0, 48).Select(_ => busy.GetServerInfoAsync(ct)));

            await using var other = new SandboxClient();
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // Far above an answer's few milliseconds, far below the 15 s a silent pooled connection held the daemon.
            bound.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                (await other.GetServerInfoAsync(bound.Token)).ApiVersion.ShouldBe("1.0");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Assert.Fail($"Round {round + 1}: another client got no answer within 5 s after a burst of concurrent requests.");
            }
        }
    }
}
