using IncusTestKit.Files;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Files;

/// <summary>The files API needs no running sandbox: everything works on a stopped one too.</summary>
public sealed class StoppedSandboxFileSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task I_can_write_read_list_push_pull_and_remove_files_of_a_stopped_sandbox()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("fs-stop") }, Ct);
        await sandbox.StopAsync(force: true, cancellationToken: Ct);
        using var host = new HostFolder();
        host.Write("tree/a.txt", "a");
        host.Write("tree/sub/b.txt", "b", Modes.File600);

        await sandbox.Files.CreateDirectoryAsync("/srv/data/deep", recursive: true, cancellationToken: Ct);
        await sandbox.Files.WriteFileAsync("/srv/data/deep/file", "offline", cancellationToken: Ct);
        await sandbox.Files.PushAsync(host["tree"], "/srv/data/tree", Ct);

        (await sandbox.Files.ReadFileAsync("/srv/data/deep/file", cancellationToken: Ct)).ShouldBe("offline");
        (await sandbox.Files.ListDirectoryAsync("/srv/data", Ct)).Select(e => e.Name).ShouldBe(["deep", "tree"]);
        await sandbox.Files.PullAsync("/srv/data/tree", host["back"], cancellationToken: Ct);
        HostFolder.Fingerprint(host["back"]).ShouldBe(HostFolder.Fingerprint(host["tree"]));

        // Without a running sandbox a recursive remove goes entry by entry through the API.
        await sandbox.Files.DeleteAsync("/srv/data", recursive: true, cancellationToken: Ct);
        (await sandbox.Files.ExistsAsync("/srv/data", Ct)).ShouldBeFalse();
        (await sandbox.Files.StatAsync("/srv", Ct)).Type.ShouldBe(FileType.Directory);
    }
}
