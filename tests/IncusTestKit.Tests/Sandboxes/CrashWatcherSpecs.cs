using IncusTestKit.Configuration;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>
/// The crash watcher as the SDK starts it. Its work after a SIGKILL is checked with the xUnit package, which carries its
/// assembly (IncusTestKit.Xunit.Tests' CrashWatcherSpecs); this test assembly has none next to it.
/// </summary>
public sealed class CrashWatcherSpecs
{
    [Fact]
    public async Task Without_the_watcher_assembly_a_watching_client_creates_all_the_same_and_logs_why_nothing_watches()
    {
        await IncusDaemon.RequireAsync();
        File.Exists(Path.Combine(AppContext.BaseDirectory, CrashWatcher.AssemblyName)).ShouldBeFalse();
        var logs = new CapturingLoggerFactory();
        await using var client = new SandboxClient(new SandboxClientOptions { WatchForCrash = true, LoggerFactory = logs });

        await using var sandbox = await client.CreateAsync(
            new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("watch-none") }, TestContext.Current.CancellationToken);

        (await Poll.UntilAsync(() => Task.FromResult(logs.OfEvent(1036).Count > 0), TimeSpan.FromSeconds(10))).ShouldBeTrue();
        logs.OfEvent(1036).Single().Message.ShouldContain("IncusTestKit.Watcher.dll is not next to IncusTestKit.dll");
    }
}
