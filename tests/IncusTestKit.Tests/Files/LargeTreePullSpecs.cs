using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Files;

/// <summary>A pull of a folder with very many entries: one request per entry, so it runs alone (see <see cref="HeavyDaemonLoad"/>).</summary>
[Collection(HeavyDaemonLoad.Name)]
public sealed class LargeTreePullSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_folder_of_10000_entries_arrives_whole()
    {
        // Its own sandbox: the ten thousand files go with it, and whatever ten thousand requests leave behind in a
        // sandbox's file server (one process per sandbox) cannot reach other tests.
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("tree") }, Ct);
        using var host = new HostFolder();
        const string Remote = "/tmp/tree";
        // Empty, but for two: each file with content costs one more request, and the listing is what is tested.
        (await sandbox.RunCommandAsync(["sh", "-c", $"mkdir -p {Remote} && cd {Remote} && i=0; while [ $i -lt 10000 ]; do : > f$i; i=$((i+1)); done && echo 0 > f0 && echo 9999 > f9999"],
            cancellationToken: Ct)).EnsureSuccess();

        var report = await sandbox.Files.PullAsync(Remote, host["out"], cancellationToken: Ct);

        report.Skipped.ShouldBeEmpty();
        report.Files.ShouldBe(10000);
        Directory.EnumerateFiles(host["out"]).Count().ShouldBe(10000);
        File.ReadAllText(host["out/f9999"]).ShouldBe("9999\n");
        File.ReadAllText(host["out/f0"]).ShouldBe("0\n");
    }
}
