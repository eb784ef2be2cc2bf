using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>mount</c>, <c>mounts</c>, <c>unmount</c> and <c>create --mount</c>; each test removes the mounts it made.</summary>
public sealed class MountSpecs(MountableBusyboxSandbox shared) : IClassFixture<MountableBusyboxSandbox>
{
    [Fact]
    public async Task An_overlay_lets_the_sandbox_write_and_leaves_the_host_folder_unchanged()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        host.Write("a.txt", "original\n");
        var target = $"/mnt/{TestNames.New("ov")}";
        try
        {
            // The source is relative: it is taken from the current directory.
            var mount = await IsbTool.Command("mount", name, ".", target).WithWorkingDirectory(host.Path)
                .ExecuteBufferedAsync(TestContext.Current.CancellationToken);
            var write = await IsbTool.RunAsync("exec", name, "--sh", $"echo changed > {target}/a.txt && echo new > {target}/new.txt && cat {target}/a.txt {target}/new.txt");

            mount.ExitCode.ShouldBe(0, mount.StandardError);
            write.ExitCode.ShouldBe(0, write.StandardError);
            write.StandardOutput.ShouldBe("changed\nnew\n");
            File.ReadAllText(host["a.txt"]).ShouldBe("original\n");
            File.Exists(host["new.txt"]).ShouldBeFalse();
        }
        finally
        {
            await IsbTool.RunAsync("unmount", name, target);
        }
    }

    [Fact]
    public async Task A_readonly_mount_refuses_writes()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        host.Write("a.txt", "original\n");
        var target = $"/mnt/{TestNames.New("ro")}";
        try
        {
            var mount = await IsbTool.RunAsync("mount", name, host.Path, target, "--mode", "readonly");
            var read = await IsbTool.RunAsync("exec", name, "--", "cat", $"{target}/a.txt");
            var write = await IsbTool.RunAsync("exec", name, "--sh", $"echo changed > {target}/a.txt");

            mount.ExitCode.ShouldBe(0, mount.StandardError);
            read.StandardOutput.ShouldBe("original\n");
            write.ExitCode.ShouldNotBe(0);
            write.StandardError.ShouldContain("Read-only file system");
            File.ReadAllText(host["a.txt"]).ShouldBe("original\n");
        }
        finally
        {
            await IsbTool.RunAsync("unmount", name, target);
        }
    }

    [Fact]
    public async Task Mounts_lists_them_and_unmount_removes_them()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var overlay = new HostFolder();
        using var readWrite = new HostFolder();
        var first = $"/mnt/{TestNames.New("m1")}";
        var second = $"/mnt/{TestNames.New("m2")}";
        try
        {
            (await IsbTool.RunAsync("mount", name, overlay.Path, first)).ExitCode.ShouldBe(0);
            await readWrite.ChownAsync(await SandboxIdMap.HostUidOfRootAsync(name));
            (await IsbTool.RunAsync("mount", name, readWrite.Path, second, "--mode", "rw")).ExitCode.ShouldBe(0);

            var table = await IsbTool.RunAsync("mounts", name);
            var json = await IsbTool.RunJsonAsync("mounts", name, "--json");

            table.ExitCode.ShouldBe(0, table.StandardError);
            var lines = table.StandardOutput.TrimEnd('\n').Split('\n');
            lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["TARGET", "MODE", "SOURCE"]);
            lines.ShouldContain(l => l.StartsWith(first + " ", StringComparison.Ordinal) && l.Contains(" overlay ") && l.EndsWith(overlay.Path, StringComparison.Ordinal));
            lines.ShouldContain(l => l.StartsWith(second + " ", StringComparison.Ordinal) && l.Contains(" readwrite ") && l.EndsWith(readWrite.Path, StringComparison.Ordinal));
            var mounts = json.EnumerateArray().ToDictionary(m => m.GetProperty("target").GetString()!);
            mounts[first].GetProperty("mode").GetString().ShouldBe("overlay");
            mounts[first].GetProperty("source").GetString().ShouldBe(overlay.Path);
            mounts[second].GetProperty("mode").GetString().ShouldBe("readwrite");
            mounts[second].GetProperty("device").GetString().ShouldStartWith("isb-mount-");

            var unmount = await IsbTool.RunAsync("unmount", name, first);
            unmount.ExitCode.ShouldBe(0, unmount.StandardError);
            (await IsbTool.RunAsync("unmount", name, second)).ExitCode.ShouldBe(0);
            (await IsbTool.RunJsonAsync("mounts", name, "--json")).GetArrayLength().ShouldBe(0);

            var again = await IsbTool.RunAsync("unmount", name, first);
            again.ExitCode.ShouldBe(1);
            again.StandardError.ShouldStartWith("error: ");
            again.StandardError.ShouldContain(first);
        }
        finally
        {
            await IsbTool.RunAsync("unmount", name, first);
            await IsbTool.RunAsync("unmount", name, second);
        }
    }

    [Fact]
    public async Task A_bad_mount_is_a_clear_error()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();

        var missing = await IsbTool.RunAsync("mount", name, host["missing"], "/mnt/x");
        var mode = await IsbTool.RunAsync("mount", name, host.Path, "/mnt/x", "--mode", "copy");
        var spec = await IsbTool.RunAsync("create", TestNames.New("bad"), "--image", TestImages.Busybox, "--mount", "nocolon");

        missing.ExitCode.ShouldBe(1);
        missing.StandardError.ShouldStartWith("error: ");
        missing.StandardError.ShouldContain(host["missing"]);
        mode.ExitCode.ShouldBe(1);
        mode.StandardError.ShouldContain("overlay, readonly (ro) or readwrite (rw)");
        spec.ExitCode.ShouldBe(1);
        spec.StandardError.ShouldStartWith("error: The mount 'nocolon' is not SRC:TARGET[:MODE]");
    }

    [Fact]
    public async Task Create_mount_is_there_at_once()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("cmount");
        using var host = new HostFolder();
        host.Write("src/hello.txt", "from the host\n");
        try
        {
            var create = await IsbTool.Command("create", name, "--image", TestImages.Busybox, "--mount", "src:/work:ro")
                .WithWorkingDirectory(host.Path).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
            var read = await IsbTool.RunAsync("exec", name, "--", "cat", "/work/hello.txt");
            var mounts = await IsbTool.RunJsonAsync("mounts", name, "--json");

            create.ExitCode.ShouldBe(0, create.StandardError);
            read.ExitCode.ShouldBe(0, read.StandardError);
            read.StandardOutput.ShouldBe("from the host\n");
            mounts.GetArrayLength().ShouldBe(1);
            mounts[0].GetProperty("source").GetString().ShouldBe(host["src"]);
            mounts[0].GetProperty("mode").GetString().ShouldBe("readonly");
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task A_readwrite_mount_of_a_running_sandbox_needs_deny_setuid_at_create()
    {
        await IncusDaemon.RequireAsync();
        var plain = TestNames.New("rwplain");
        var denying = TestNames.New("rwdeny");
        using var host = new HostFolder();
        host.OpenToAll();
        try
        {
            (await IsbTool.RunAsync("create", plain, "--image", TestImages.Busybox, "--no-network")).ExitCode.ShouldBe(0);
            (await IsbTool.RunAsync("create", denying, "--image", TestImages.Busybox, "--no-network", "--deny-setuid")).ExitCode.ShouldBe(0);

            var refused = await IsbTool.RunAsync("mount", plain, host.Path, "/rw", "--mode", "rw");
            var mounted = await IsbTool.RunAsync("mount", denying, host.Path, "/rw", "--mode", "rw");
            var chmod = await IsbTool.RunAsync("exec", denying, "--sh", "touch /rw/f && chmod u+s /rw/f");

            refused.ExitCode.ShouldBe(1);
            refused.StandardError.ShouldStartWith("error: ");
            refused.StandardError.ShouldContain("--deny-setuid");
            mounted.ExitCode.ShouldBe(0, mounted.StandardError);
            chmod.ExitCode.ShouldNotBe(0);
            chmod.StandardError.ShouldContain("Operation not permitted");
            File.Exists(host["f"]).ShouldBeTrue();
        }
        finally
        {
            await Leftovers.DestroyAsync(plain);
            await Leftovers.DestroyAsync(denying);
        }
    }
}
