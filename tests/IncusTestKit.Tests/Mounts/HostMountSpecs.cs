using IncusTestKit.Errors;
using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Mounts;

/// <summary>Read-only and read-write mounts, and the errors every mount call gives.</summary>
public sealed class HostMountSpecs(MountableBusyboxSandbox shared) : IClassFixture<MountableBusyboxSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_readonly_mount_can_be_read_and_refuses_writes()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        host.Write("config.yml", "debug: true\n", Modes.File600);
        var fingerprint = host.Fingerprint();

        var mount = await sandbox.MountAsync(new MountOptions(host.Path, "/mnt/ro") { Mode = MountMode.ReadOnly }, Ct);
        try
        {
            (await sandbox.RunCommandAsync(["cat", "/mnt/ro/config.yml"], cancellationToken: Ct)).EnsureSuccess().Stdout.ShouldBe("debug: true\n");
            var write = await sandbox.RunCommandAsync(["sh", "-c", "echo x > /mnt/ro/new.txt"], cancellationToken: Ct);
            write.ExitCode.ShouldNotBe(0);
            write.Stderr.ShouldContain("Read-only file system");
            (await sandbox.RunCommandAsync(["rm", "/mnt/ro/config.yml"], cancellationToken: Ct)).ExitCode.ShouldNotBe(0);
            await Should.ThrowAsync<IncusTestKitException>(() => sandbox.Files.WriteFileAsync("/mnt/ro/api.txt", "x", cancellationToken: Ct));
            mount.Mode.ShouldBe(MountMode.ReadOnly);
            (await sandbox.ListMountsAsync(Ct)).ShouldContain(mount);
        }
        finally
        {
            await sandbox.UnmountAsync("/mnt/ro", Ct);
        }
        host.Fingerprint().ShouldBe(fingerprint);
        (await sandbox.ListMountsAsync(Ct)).ShouldNotContain(mount);
        (await sandbox.Files.ExistsAsync("/mnt/ro/config.yml", Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task A_readwrite_mount_writes_through_to_the_host()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        host.Write("existing.txt", "old\n");
        // Root in the sandbox writes as its unprivileged host uid, so the folder is made that uid's.
        await host.ChownAsync(await MountSafetySpecs.HostUidOfRootAsync(sandbox));

        await sandbox.MountAsync(new MountOptions(host.Path, "/mnt/rw") { Mode = MountMode.ReadWrite }, Ct);
        try
        {
            (await sandbox.RunCommandAsync(["sh", "-c", "echo made inside > /mnt/rw/new.txt && echo more >> /mnt/rw/existing.txt"], cancellationToken: Ct)).EnsureSuccess();
            await sandbox.Files.WriteFileAsync("/mnt/rw/api.txt", "through the API", cancellationToken: Ct);

            File.ReadAllText(host["new.txt"]).ShouldBe("made inside\n");
            File.ReadAllText(host["existing.txt"]).ShouldBe("old\nmore\n");
            File.ReadAllText(host["api.txt"]).ShouldBe("through the API");
        }
        finally
        {
            await sandbox.UnmountAsync("/mnt/rw/", Ct);
        }
        // Unmounting a read-write folder keeps what was written.
        File.Exists(host["new.txt"]).ShouldBeTrue();
    }

    [Fact]
    public async Task Mount_errors_say_what_is_wrong()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var missing = host["does-not-exist"];

        (await Should.ThrowAsync<PathNotFoundException>(() => sandbox.MountAsync(new MountOptions(missing, "/mnt/x"), Ct))).Message.ShouldContain(missing);
        var notMounted = await Should.ThrowAsync<MountException>(() => sandbox.UnmountAsync("/mnt/never-mounted", Ct));
        notMounted.Code.ShouldBe(SandboxErrorCode.MountNotFound);
        notMounted.Message.ShouldContain("/mnt/never-mounted");
        await Should.ThrowAsync<ArgumentException>(() => sandbox.MountAsync(new MountOptions(host.Path, "relative/target"), Ct));
        await Should.ThrowAsync<ArgumentException>(() => sandbox.MountAsync(new MountOptions(host.Path, "/"), Ct));
        await Should.ThrowAsync<ArgumentException>(() => sandbox.MountAsync(new MountOptions("relative/source", "/mnt/x"), Ct));
        await Should.ThrowAsync<MountException>(() => sandbox.MountAsync(new MountOptions(host.Write("file.txt", "x"), "/mnt/file"), Ct));

        await sandbox.MountAsync(new MountOptions(host.Path, "/mnt/twice") { Mode = MountMode.ReadOnly }, Ct);
        try
        {
            (await Should.ThrowAsync<MountException>(() => sandbox.MountAsync(new MountOptions(host.Path, "/mnt/twice"), Ct))).Message.ShouldContain("UnmountAsync");
        }
        finally
        {
            await sandbox.UnmountAsync("/mnt/twice", Ct);
        }
    }

    [Fact]
    public async Task A_missing_host_folder_at_creation_fails_before_anything_is_created()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        using var host = new HostFolder();
        var name = TestNames.New("mntmiss");

        await Should.ThrowAsync<PathNotFoundException>(() => client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = name,
            Mounts = [new MountOptions(host["gone"], "/src")],
        }, Ct));
        await Should.ThrowAsync<ArgumentException>(() => client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = name,
            Mounts = [new MountOptions(host.Path, "/src"), new MountOptions(host.Path, "/src/")],
        }, Ct));

        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Mounts_of_others_are_not_listed_nor_unmounted()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        await sandbox.MountAsync(new MountOptions(host.Path, "/mnt/ours") { Mode = MountMode.ReadOnly }, Ct);
        try
        {
            var ours = await sandbox.ListMountsAsync(Ct);
            ours.ShouldAllBe(m => m.DeviceName.StartsWith("isb-mount-"));
            ours.Select(m => m.Target).ShouldContain("/mnt/ours");
            // The root disk is a disk device too, and not ours.
            (await Should.ThrowAsync<MountException>(() => sandbox.UnmountAsync("/mnt/others", Ct))).Code.ShouldBe(SandboxErrorCode.MountNotFound);
        }
        finally
        {
            await sandbox.UnmountAsync("/mnt/ours", Ct);
        }
    }
}
