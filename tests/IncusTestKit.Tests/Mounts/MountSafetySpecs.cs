using System.Net.Sockets;
using IncusTestKit.Errors;
using IncusTestKit.Files;
using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Mounts;

/// <summary>What a hostile sandbox can and cannot do to the host through a mount.</summary>
public sealed class MountSafetySpecs(MountableBusyboxSandbox shared) : IClassFixture<MountableBusyboxSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int SetUid = 0x800;
    private const int SetGid = 0x400;

    /// <summary>The host uid root in the sandbox runs as (1000000 with a default id map).</summary>
    public static async Task<long> HostUidOfRootAsync(Sandbox sandbox) =>
        HostMounts.HostRootUid(await sandbox.Client.Incus.Instances.GetAsync(sandbox.Name, TestContext.Current.CancellationToken))
        ?? throw new InvalidOperationException($"Sandbox '{sandbox.Name}' has no id map.");

    [Fact]
    public async Task Root_in_the_sandbox_cannot_leave_a_root_owned_setuid_or_setgid_file_in_a_readwrite_mount()
    {
        var sandbox = await shared.GetAsync();
        var rootUid = await HostUidOfRootAsync(sandbox);
        rootUid.ShouldBeGreaterThan(0);
        using var host = new HostFolder();
        await host.ChownAsync(rootUid);

        await sandbox.MountAsync(new MountOptions(host.Path, "/rw") { Mode = MountMode.ReadWrite }, Ct);
        string errors;
        try
        {
            var attack = await sandbox.RunCommandAsync(["sh", "-c", """
                cp /bin/busybox /rw/suid && chmod 4755 /rw/suid
                chown 0:0 /rw/suid; chmod 4755 /rw/suid; chmod u+s /rw/suid
                touch /rw/sgid && chmod 2755 /rw/sgid
                mkdir /rw/dir && chmod 2777 /rw/dir && touch /rw/dir/inherits
                mknod -m 4755 /rw/fifo p
                touch /rw/owned && chown 0:0 /rw/owned
                echo done
                """], cancellationToken: Ct);
            attack.Stdout.ShouldContain("done");
            errors = attack.Stderr;
        }
        finally
        {
            await sandbox.UnmountAsync("/rw", Ct);
        }

        errors.ShouldContain("chmod: /rw/suid: Operation not permitted");
        errors.ShouldContain("mknod: /rw/fifo: Operation not permitted");
        var entries = Directory.EnumerateFileSystemEntries(host.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        entries.ShouldBe([host["dir"], host["owned"], host["sgid"], host["suid"]]);
        foreach (var entry in entries)
        {
            var status = HostTree.Lstat(entry) ?? throw new InvalidOperationException($"lstat {entry} failed");
            // Never a host user: every file belongs to the sandbox's unprivileged uid and gid, and none has either bit.
            status.Uid.ShouldBe((uint)rootUid, entry);
            status.Gid.ShouldBeGreaterThanOrEqualTo((uint)rootUid, entry);
            ((int)status.Mode & (SetUid | SetGid)).ShouldBe(0, entry);
        }
    }

    [Fact]
    public async Task A_container_created_with_a_readwrite_mount_cannot_set_the_bits_by_any_call()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        using var host = new HostFolder();
        host.OpenToAll();
        await using var sandbox = await client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Debian,
            Name = TestNames.New("setuid"),
            Mounts = [new MountOptions(host.Path, "/rw") { Mode = MountMode.ReadWrite }],
        }, Ct);

        // open and openat with the bits in their mode; openat2 and io_uring, whose arguments a filter cannot see,
        // are not there at all. Perl is in every Debian.
        var result = await sandbox.RunCommandAsync(["perl", "-e", """
            use Fcntl; umask 0;
            sysopen(my $a, "/rw/open-suid", O_CREAT|O_WRONLY, 04755) or print "open: $!\n";
            sysopen(my $b, "/rw/open-sgid", O_CREAT|O_WRONLY, 02755) or print "open: $!\n";
            my ($path, $how) = ("/rw/openat2", pack("QQQ", O_CREAT|O_WRONLY, 04755, 0)); syscall(437, -100, $path, $how, 24) == -1 and print "openat2: $!\n";
            my $params = "\0" x 120; syscall(425, 8, $params) == -1 and print "io_uring_setup: $!\n";
            sysopen(my $c, "/rw/plain", O_CREAT|O_WRONLY, 0755) and chmod(0755, "/rw/plain") and print "plain ok\n";
            """], cancellationToken: Ct);

        result.EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe([
            "open: Operation not permitted",
            "open: Operation not permitted",
            "openat2: Function not implemented",
            "io_uring_setup: Function not implemented",
            "plain ok",
        ]);
        Directory.EnumerateFileSystemEntries(host.Path).ShouldBe([host["plain"]]);
    }

    [Fact]
    public async Task A_readwrite_mount_needs_a_container_that_started_under_the_setuid_rule()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        using var host = new HostFolder();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("setuidlate") }, Ct);
        await host.ChownAsync(await HostUidOfRootAsync(sandbox));
        var readWrite = new MountOptions(host.Path, "/rw") { Mode = MountMode.ReadWrite };

        var error = await Should.ThrowAsync<MountException>(() => sandbox.MountAsync(readWrite, Ct));
        error.Message.ShouldContain("started without it");
        error.Message.ShouldContain("Stop the sandbox");
        error.Message.ShouldContain("DenySetuidFiles (--deny-setuid)");
        (await sandbox.ListMountsAsync(Ct)).ShouldBeEmpty();

        // Stopped, the mount brings the rule along, in force from the next start.
        await sandbox.StopAsync(force: true, cancellationToken: Ct);
        await sandbox.MountAsync(readWrite, Ct);
        await sandbox.StartAsync(Ct);
        var attack = await sandbox.RunCommandAsync(["sh", "-c", "touch /rw/f && chmod 4755 /rw/f"], cancellationToken: Ct);

        attack.ExitCode.ShouldNotBe(0);
        attack.Stderr.ShouldContain("Operation not permitted");
        ((int)(HostTree.Lstat(host["f"]) ?? throw new InvalidOperationException("no /rw/f on the host")).Mode & (SetUid | SetGid)).ShouldBe(0);
    }

    [Fact]
    public async Task A_readwrite_mount_the_sandbox_may_not_write_is_refused_with_the_fix_and_removed()
    {
        var sandbox = await shared.GetAsync();
        var rootUid = await HostUidOfRootAsync(sandbox);
        using var host = new HostFolder();

        var error = await Should.ThrowAsync<MountException>(() => sandbox.MountAsync(new MountOptions(host.Path, "/rw-denied") { Mode = MountMode.ReadWrite }, Ct));

        error.Message.ShouldContain($"host uid {rootUid}");
        error.Message.ShouldContain($"chown {rootUid} '{host.Path}'");
        error.Message.ShouldContain($"setfacl -m u:{rootUid}:rwx");
        (await sandbox.ListMountsAsync(Ct)).ShouldNotContain(m => m.Target == "/rw-denied");
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/var")]
    [InlineData("/var/lib/incus")]
    [InlineData("/var/lib/incus/storage-pools")]
    [InlineData("/run")]
    [InlineData("/etc")]
    [InlineData("/proc")]
    public async Task System_folders_and_the_daemons_state_are_refused_unless_forced(string source)
    {
        var sandbox = await shared.GetAsync();

        var error = await Should.ThrowAsync<MountException>(() => sandbox.MountAsync(new MountOptions(source, "/host") { Mode = MountMode.ReadOnly }, Ct));

        error.Message.ShouldContain($"Refusing to mount '{source}'");
        error.Message.ShouldContain("AllowDangerousSource");
        (await sandbox.ListMountsAsync(Ct)).ShouldNotContain(m => m.Target == "/host");
    }

    [Fact]
    public async Task A_symlink_to_a_system_folder_is_resolved_before_the_check()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var link = host["innocent"];
        File.CreateSymbolicLink(link, "/var/lib/../lib/incus");

        var error = await Should.ThrowAsync<MountException>(() => sandbox.MountAsync(new MountOptions(link, "/host"), Ct));

        error.Message.ShouldContain($"'{link}' (which is '/var/lib/incus')");
    }

    [Fact]
    public async Task A_folder_holding_a_socket_is_refused_unless_forced()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        host.Write("readme.txt", "hello\n");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(host["agent.sock"]));

        var error = await Should.ThrowAsync<MountException>(() => sandbox.MountAsync(new MountOptions(host.Path, "/sock") { Mode = MountMode.ReadOnly }, Ct));
        error.Message.ShouldContain(host["agent.sock"]);

        await sandbox.MountAsync(new MountOptions(host.Path, "/sock") { Mode = MountMode.ReadOnly, AllowDangerousSource = true }, Ct);
        try
        {
            (await sandbox.RunCommandAsync(["cat", "/sock/readme.txt"], cancellationToken: Ct)).EnsureSuccess().Stdout.ShouldBe("hello\n");
        }
        finally
        {
            await sandbox.UnmountAsync("/sock", Ct);
        }
    }

    [Fact]
    public async Task A_dangerous_source_at_creation_fails_before_anything_is_created()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("mntdanger");

        await Should.ThrowAsync<MountException>(() => client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = name,
            Mounts = [new MountOptions(Path.GetDirectoryName(client.Endpoint.SocketPath)!, "/incus") { Mode = MountMode.ReadOnly }],
        }, Ct));
        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();
    }
}
