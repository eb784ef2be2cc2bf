using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Snapshots;

public sealed class SnapshotSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restoring_a_snapshot_of_a_running_sandbox_brings_back_a_deleted_file()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("snap") }, Ct);
        await sandbox.Files.WriteFileAsync("/root/keep.txt", "precious", cancellationToken: Ct);
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);

        var snapshot = await sandbox.CreateSnapshotAsync("before", Ct);
        await sandbox.Files.DeleteAsync("/root/keep.txt", cancellationToken: Ct);
        await sandbox.Files.WriteFileAsync("/root/later.txt", "after the snapshot", cancellationToken: Ct);
        await sandbox.RestoreSnapshotAsync("before", Ct);

        snapshot.Name.ShouldBe("before");
        snapshot.Stateful.ShouldBeFalse();
        snapshot.CreatedAt.ShouldBeGreaterThan(before);
        snapshot.ExpiresAt.ShouldBeNull();
        (await sandbox.Files.ReadFileAsync("/root/keep.txt", cancellationToken: Ct)).ShouldBe("precious");
        (await sandbox.Files.ExistsAsync("/root/later.txt", Ct)).ShouldBeFalse();
        (await sandbox.GetStateAsync(Ct)).ShouldBe(SandboxState.Running);
        (await sandbox.RunCommandAsync("cat /root/keep.txt", cancellationToken: Ct)).Stdout.ShouldBe("precious");
    }

    [Fact]
    public async Task Destroying_a_sandbox_deletes_it_with_its_snapshots_as_incus_delete_does()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var running = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("snapdr") }, Ct);
        await using var stopped = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("snapds") }, Ct);
        await running.CreateSnapshotAsync("kept", Ct);
        await stopped.CreateSnapshotAsync("kept", Ct);
        await stopped.StopAsync(force: true, cancellationToken: Ct);

        await running.DestroyAsync(cancellationToken: Ct);
        await client.DestroyAsync(stopped.Name, force: false, Ct);

        await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync(running.Name, Ct));
        await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync(stopped.Name, Ct));
    }

    [Fact]
    public async Task Restoring_a_stopped_sandbox_leaves_it_stopped_with_the_snapshot_files()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("snapst") }, Ct);
        await sandbox.Files.WriteFileAsync("/root/v.txt", "v1", cancellationToken: Ct);
        await sandbox.CreateSnapshotAsync("v1", Ct);
        await sandbox.Files.WriteFileAsync("/root/v.txt", "v2", cancellationToken: Ct);
        await sandbox.StopAsync(force: true, cancellationToken: Ct);

        await sandbox.RestoreSnapshotAsync("v1", Ct);

        (await sandbox.GetStateAsync(Ct)).ShouldBe(SandboxState.Stopped);
        (await sandbox.Files.ReadFileAsync("/root/v.txt", cancellationToken: Ct)).ShouldBe("v1");
    }

    [Fact]
    public async Task I_can_list_and_delete_snapshots_and_a_missing_or_duplicate_name_is_a_clear_error()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("snapls") }, Ct);

        await sandbox.CreateSnapshotAsync("first", Ct);
        var unnamed = await sandbox.CreateSnapshotAsync(cancellationToken: Ct);
        await sandbox.CreateSnapshotAsync("third", Ct);

        unnamed.Name.ShouldStartWith("snap");
        (await sandbox.ListSnapshotsAsync(Ct)).Select(s => s.Name).ShouldBe(["first", unnamed.Name, "third"]);
        (await Should.ThrowAsync<NameConflictException>(() => sandbox.CreateSnapshotAsync("first", Ct))).Message.ShouldContain("first");
        await Should.ThrowAsync<InvalidNameException>(() => sandbox.CreateSnapshotAsync("has space", Ct));
        await Should.ThrowAsync<InvalidNameException>(() => sandbox.CreateSnapshotAsync("a/b", Ct));

        await sandbox.DeleteSnapshotAsync("first", Ct);
        await sandbox.DeleteSnapshotAsync(unnamed.Name, Ct);
        (await sandbox.ListSnapshotsAsync(Ct)).Select(s => s.Name).ShouldBe(["third"]);

        var missing = await Should.ThrowAsync<SnapshotNotFoundException>(() => sandbox.RestoreSnapshotAsync("first", Ct));
        missing.Code.ShouldBe(SandboxErrorCode.SnapshotNotFound);
        missing.Message.ShouldContain("first");
        await Should.ThrowAsync<SnapshotNotFoundException>(() => sandbox.DeleteSnapshotAsync("first", Ct));
    }
}
