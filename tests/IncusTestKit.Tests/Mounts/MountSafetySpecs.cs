using System.Net.Sockets;
using IncusTestKit.Errors;
using IncusTestKit.Files;
using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Mounts;

/// <summary>What a hostile sandbox can and cannot do to the host through a mount.</summary>
public sealed class MountSafetySpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int SetUid = 0x800;
    private const int SetGid = 0x400;

    /// <summary>The host uid root in the sandbox runs as (1000000 with a default id map).</summary>
    public static async Task<long> HostUidOfRootAsync(Sandbox sandbox) =>
        HostMounts.HostRootUid(await sandbox.Client.Incus.Instances.GetAsync(sandbox.Name, TestContext.Current.CancellationToken))
        ?? throw new InvalidOperationException($"Sandbox '{sandbox.Name}' has no id map.");

    [Fact]
    public async Task Root_in_the_sandbox_cannot_leave_a_root_owned_or_setuid_root_file_in_a_readwrite_mount()
    {
        var sandbox = await shared.GetAsync();
        var rootUid = await HostUidOfRootAsync(sandbox);
        rootUid.ShouldBeGreaterThan(0);
        using var host = new HostFolder();
        await host.ChownAsync(rootUid);

        await sandbox.MountAsync(new MountOptions(host.Path, "/rw") { Mode = MountMode.ReadWrite }, Ct);
        try
        {
            var attack = await sandbox.RunCommandAsync(["sh", "-c", """
                cp /bin/busybox /rw/suid && chmod 4755 /rw/suid
                chown 0:0 /rw/suid; chmod 4755 /rw/suid
                touch /rw/sgid && chmod 2755 /rw/sgid
                mkdir /rw/dir && chmod 2777 /rw/dir && touch /rw/dir/inherits
                touch /rw/owned && chown 0:0 /rw/owned
                echo done
                """], cancellationToken: Ct);
            attack.Stdout.ShouldContain("done");
        }
        finally
        {
            await sandbox.UnmountAsync("/rw", Ct);
        }

        var entries = Directory.EnumerateFileSystemEntries(host.Path, "*", SearchOption.AllDirectories).ToList();
        entries.Count.ShouldBe(5);
        foreach (var entry in entries)
        {
            var status = HostTree.Lstat(entry) ?? throw new InvalidOperationException($"lstat {entry} failed");
            // Never a host user: every file belongs to the sandbox's unprivileged uid and gid.
            status.Uid.ShouldBe((uint)rootUid, entry);
            status.Gid.ShouldBeGreaterThanOrEqualTo((uint)rootUid, entry);
            // What remains (see the README): the bits themselves can be set, on files of that unprivileged uid only.
            if (((int)status.Mode & (SetUid | SetGid)) != 0)
                status.Uid.ShouldNotBe(0u, entry);
        }
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
            Mounts = [new MountOptions(Path.GetDirectoryName(client.SocketPath)!, "/incus") { Mode = MountMode.ReadOnly }],
        }, Ct));
        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();
    }
}
