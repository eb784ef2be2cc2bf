using System.Security.Cryptography;
using IncusTestKit.Errors;
using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Mounts;

public sealed class OverlayMountSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HostFolder NewProject()
    {
        var host = new HostFolder();
        host.Write("README.md", "# project\n");
        host.Write("src/main.c", "int main(void) { return 0; }\n");
        host.Write("src/secret.key", "only root may read this", Modes.File600);
        host.Write("bin/tool", "#!/bin/sh\necho tool\n", Modes.Exec755);
        host.Write("data/blob.bin", RandomNumberGenerator.GetBytes(64 * 1024));
        File.CreateSymbolicLink(host["latest"], "data/blob.bin");
        return host;
    }

    [Fact]
    public async Task The_host_folder_is_byte_for_byte_unchanged_after_an_overlay_session_that_edits_deletes_and_adds_files()
    {
        await IncusDaemon.RequireAsync();
        using var host = NewProject();
        var fingerprint = host.Fingerprint();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("ovl") }, Ct);

        var mount = await sandbox.MountAsync(new MountOptions(host.Path, "/src"), Ct);

        mount.Mode.ShouldBe(MountMode.Overlay);
        mount.Target.ShouldBe("/src");
        mount.Source.ShouldBe(host.Path);
        mount.DeviceName.ShouldStartWith("isb-mount-");
        (await sandbox.ListMountsAsync(Ct)).ShouldBe([mount]);
        var session = await sandbox.RunCommandAsync(["sh", "-c", """
            set -e
            cd /src
            cat src/secret.key >/dev/null
            echo 'edited' >> README.md
            printf 'rewritten' > src/main.c
            rm src/secret.key data/blob.bin
            rm -r bin
            mkdir -p added/deep && echo new > added/deep/new.txt
            chmod 700 src
            ln -sf README.md latest
            cat README.md src/main.c added/deep/new.txt
            """], cancellationToken: Ct);
        session.Stderr.ShouldBeEmpty();
        session.ExitCode.ShouldBe(0);
        session.Stdout.ShouldBe("# project\nedited\nrewrittennew\n");
        (await sandbox.Files.ReadFileAsync("/src/added/deep/new.txt", cancellationToken: Ct)).ShouldBe("new\n");
        (await sandbox.Files.ExistsAsync("/src/bin", Ct)).ShouldBeFalse();

        host.Fingerprint().ShouldBe(fingerprint);

        await sandbox.UnmountAsync("/src", Ct);

        host.Fingerprint().ShouldBe(fingerprint);
        (await sandbox.ListMountsAsync(Ct)).ShouldBeEmpty();
        // The writes are discarded with the overlay, and nothing of it is left behind.
        (await sandbox.Files.ExistsAsync("/src/added", Ct)).ShouldBeFalse();
        (await sandbox.Files.ExistsAsync("/src/README.md", Ct)).ShouldBeFalse();
        (await sandbox.Files.ExistsAsync("/var/lib/isb/mounts/" + mount.DeviceName["isb-mount-".Length..], Ct)).ShouldBeFalse();
        (await sandbox.RunCommandAsync(["sh", "-c", "grep -c overlay /proc/mounts || true"], cancellationToken: Ct)).Stdout.Trim().ShouldBe("0");
    }

    [Fact]
    public async Task A_mount_given_at_creation_is_there_when_create_returns()
    {
        await IncusDaemon.RequireAsync();
        using var project = NewProject();
        using var shared = new HostFolder();
        shared.Write("settings.json", "{}");
        var fingerprint = project.Fingerprint();
        await using var client = new SandboxClient();

        await using var sandbox = await client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = TestNames.New("ovlc"),
            Mounts = [new MountOptions(project.Path, "/work/project"), new MountOptions(shared.Path + "/", "/etc/shared/") { Mode = MountMode.ReadOnly }],
        }, Ct);

        (await sandbox.RunCommandAsync(["sh", "-c", "cat /work/project/README.md /etc/shared/settings.json && echo more >> /work/project/README.md"], cancellationToken: Ct))
            .EnsureSuccess().Stdout.ShouldBe("# project\n{}");
        var mounts = await sandbox.ListMountsAsync(Ct);
        mounts.Select(m => (m.Target, m.Mode, m.Source)).ShouldBe([("/etc/shared", MountMode.ReadOnly, shared.Path), ("/work/project", MountMode.Overlay, project.Path)]);
        project.Fingerprint().ShouldBe(fingerprint);
    }

    [Fact]
    public async Task Restoring_a_snapshot_mounts_the_overlay_again_as_it_was()
    {
        await IncusDaemon.RequireAsync();
        using var host = NewProject();
        var fingerprint = host.Fingerprint();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("ovls") }, Ct);
        await sandbox.MountAsync(new MountOptions(host.Path, "/src"), Ct);
        await sandbox.Files.WriteFileAsync("/src/at-snapshot.txt", "kept", cancellationToken: Ct);

        await sandbox.CreateSnapshotAsync("with-overlay", Ct);
        await sandbox.Files.WriteFileAsync("/src/after.txt", "dropped", cancellationToken: Ct);
        await sandbox.RestoreSnapshotAsync("with-overlay", Ct);

        (await sandbox.RunCommandAsync(["cat", "/src/at-snapshot.txt", "/src/README.md"], cancellationToken: Ct)).EnsureSuccess().Stdout.ShouldBe("kept# project\n");
        (await sandbox.Files.ExistsAsync("/src/after.txt", Ct)).ShouldBeFalse();
        (await sandbox.ListMountsAsync(Ct)).Single().Mode.ShouldBe(MountMode.Overlay);
        host.Fingerprint().ShouldBe(fingerprint);
    }

    [Fact]
    public async Task An_overlay_comes_back_with_its_writes_after_a_stop_and_start_or_a_restart()
    {
        await IncusDaemon.RequireAsync();
        using var host = NewProject();
        var fingerprint = host.Fingerprint();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("ovlr") }, Ct);
        await sandbox.MountAsync(new MountOptions(host.Path, "/src"), Ct);
        await sandbox.Files.WriteFileAsync("/src/made-inside.txt", "kept\n", cancellationToken: Ct);

        await sandbox.StopAsync(force: true, cancellationToken: Ct);
        await sandbox.StartAsync(Ct);
        (await sandbox.Files.ReadFileAsync("/src/README.md", cancellationToken: Ct)).ShouldBe("# project\n");
        (await sandbox.Files.ReadFileAsync("/src/made-inside.txt", cancellationToken: Ct)).ShouldBe("kept\n");

        await sandbox.RestartAsync(force: true, cancellationToken: Ct);
        (await sandbox.Files.ReadFileAsync("/src/made-inside.txt", cancellationToken: Ct)).ShouldBe("kept\n");
        host.Fingerprint().ShouldBe(fingerprint);
    }

    [Fact]
    public async Task An_overlay_needs_a_running_container_and_a_failed_one_leaves_nothing_behind()
    {
        await IncusDaemon.RequireAsync();
        using var host = NewProject();
        await using var client = new SandboxClient();
        var vm = TestNames.New("ovlvm");

        var error = await Should.ThrowAsync<MountException>(() => client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = vm,
            Type = SandboxType.VirtualMachine,
            Mounts = [new MountOptions(host.Path, "/src")],
        }, Ct));
        error.Message.ShouldContain("container");
        (await client.ListAsync(prefix: vm, cancellationToken: Ct)).ShouldBeEmpty();

        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("ovlf") }, Ct);
        // A target that is a file: the daemon accepts the device, the mount command inside refuses.
        var refused = await Should.ThrowAsync<MountException>(() => sandbox.MountAsync(new MountOptions(host.Path, "/etc/passwd/src"), Ct));
        refused.Message.ShouldContain("exit code");
        (await sandbox.ListMountsAsync(Ct)).ShouldBeEmpty();
        (await sandbox.GetInfoAsync(Ct)).Name.ShouldBe(sandbox.Name);

        await sandbox.StopAsync(force: true, cancellationToken: Ct);
        await Should.ThrowAsync<SandboxNotRunningException>(() => sandbox.MountAsync(new MountOptions(host.Path, "/src"), Ct));
        (await sandbox.ListMountsAsync(Ct)).ShouldBeEmpty();
    }
}
