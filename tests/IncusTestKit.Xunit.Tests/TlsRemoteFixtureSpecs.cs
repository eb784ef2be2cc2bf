using System.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

/// <summary>
/// The fixtures of a test process whose incus client config points it at an HTTPS remote (<c>INCUS_CONF</c>,
/// <c>INCUS_REMOTE</c>): the test daemon on 127.0.0.1, checked through its local socket.
/// </summary>
public sealed class TlsRemoteFixtureSpecs(LoopbackTlsServer server) : IClassFixture<LoopbackTlsServer>
{
    private const string Remote = "isbt-xunit-tls";

    /// <summary>As CrashWatcherSpecs' bound: the issue's aim is 30 s, with room for a loaded machine.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // One probe run for both: the fixtures made their sandboxes over HTTPS, and its crash watcher destroys them there.
    [Fact]
    public async Task Over_HTTPS_the_fixtures_make_their_sandboxes_and_those_of_a_test_process_killed_with_SIGKILL_go_within_the_bound_and_nothing_else()
    {
        await IncusDaemon.RequireAsync();
        var config = server.ClientConfig(Remote);
        var live = TestNames.New("tls-live");
        await using var local = new SandboxClient();
        string[] names = [];
        try
        {
            await local.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = live }, Ct);
            await using var probe = await HeldProbe.StartAsync(environment: new Dictionary<string, string?> { ["INCUS_CONF"] = config, ["INCUS_REMOTE"] = Remote });
            names = probe.Names;
            (await ExistingAsync(local, names)).ShouldBe(names, ignoreOrder: true);
            // The watcher reaches the server as the probe did, given the certificates' paths: never key material, which
            // every process of the machine could read on a command line.
            var commandLine = File.ReadAllText($"/proc/{probe.Watcher}/cmdline").Split('\0');
            commandLine.ShouldContain(server.Address + "/");
            commandLine.ShouldContain(Path.Combine(config, "client.key"));
            commandLine.ShouldNotContain(a => a.Contains("PRIVATE KEY", StringComparison.Ordinal));

            await probe.KillAsync();
            var killed = Stopwatch.StartNew();

            (await Poll.UntilAsync(async () => (await ExistingAsync(local, names)).Count == 0, Bound))
                .ShouldBeTrue($"still there {Bound.TotalSeconds:0} s after the kill: {string.Join(", ", await ExistingAsync(local, names))}");
            TestContext.Current.TestOutputHelper!.WriteLine($"Destroyed {killed.Elapsed.TotalSeconds:0.0} s after SIGKILL");
            (await ExistingAsync(local, [live])).ShouldBe([live]);
        }
        finally
        {
            foreach (var name in names.Append(live))
            {
                try
                {
                    await local.DestroyAsync(name, cancellationToken: CancellationToken.None);
                }
                catch (SandboxNotFoundException)
                {
                }
            }
        }
    }

    private static async Task<IReadOnlyList<string>> ExistingAsync(SandboxClient client, IEnumerable<string> names)
    {
        var all = (await client.ListAsync(prefix: TestNames.Prefix, cancellationToken: Ct)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return [.. names.Where(all.Contains)];
    }
}
