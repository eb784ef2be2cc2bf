using System.Net.Sockets;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>--processes</c>, <c>--no-network</c>, <c>--allow-unsafe-profiles</c> on create, and <c>--force</c> on mount.</summary>
public sealed class IsolationSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    [Fact]
    public async Task Create_takes_a_process_limit_and_no_network()
    {
        await IncusDaemon.RequireAsync();
        var limited = TestNames.New("clim");
        var unlimited = TestNames.New("cunl");
        try
        {
            var create = await IsbTool.RunAsync("create", limited, "--image", TestImages.Busybox, "--processes", "200", "--no-network");
            var inside = await IsbTool.RunAsync("exec", limited, "--", "ls", "/sys/class/net");
            var none = await IsbTool.RunAsync("create", unlimited, "--image", TestImages.Busybox, "--processes", "none", "--no-network");
            var zero = await IsbTool.RunAsync("create", TestNames.New("czero"), "--image", TestImages.Busybox, "--processes", "0");

            create.ExitCode.ShouldBe(0, create.StandardError);
            inside.StandardOutput.ShouldBe("lo\n");
            (await InstanceConfigAsync(limited, "limits.processes")).ShouldBe("200");
            none.ExitCode.ShouldBe(0, none.StandardError);
            (await InstanceConfigAsync(unlimited, "limits.processes")).ShouldBeEmpty();
            zero.ExitCode.ShouldBe(1);
            zero.StandardError.ShouldContain("--processes takes a count of at least 1, or none");
        }
        finally
        {
            await Leftovers.DestroyAsync(limited, unlimited);
        }
    }

    // The limit is not visible inside (a cgroup namespace's root has no pids.max); the incus client reads it.
    private static async Task<string> InstanceConfigAsync(string name, string key) =>
        (await CliWrap.Cli.Wrap("incus").WithArguments(["config", "get", name, key])
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken)).StandardOutput.Trim();

    [Fact]
    public async Task Create_refuses_a_privileged_profile_by_name_unless_allowed()
    {
        await IncusDaemon.RequireAsync();
        await using var privileged = await TempProfile.CreateAsync("cpriv", new Dictionary<string, string> { ["security.privileged"] = "true" });
        var refused = TestNames.New("cpriv");
        var allowed = TestNames.New("callow");
        try
        {
            var refusal = await IsbTool.RunAsync("create", refused, "--image", TestImages.Busybox, "-p", "default", "-p", privileged.Name, "--no-network");
            var doctor = await IsbTool.RunAsync("doctor");
            var create = await IsbTool.RunAsync("create", allowed, "--image", TestImages.Busybox, "-p", "default", "-p", privileged.Name, "--no-network", "--allow-unsafe-profiles");

            refusal.ExitCode.ShouldBe(1);
            refusal.StandardError.ShouldStartWith("error: ");
            refusal.StandardError.ShouldContain($"security.privileged=true (profile '{privileged.Name}')");
            refusal.StandardError.ShouldContain("--allow-unsafe-profiles");
            doctor.StandardOutput.ShouldContain($"profile '{privileged.Name}' sets security.privileged");
            doctor.StandardOutput.ShouldContain($"incus profile unset {privileged.Name} security.privileged");
            create.ExitCode.ShouldBe(0, create.StandardError);
        }
        finally
        {
            await Leftovers.DestroyAsync(refused, allowed);
        }
    }

    [Fact]
    public async Task Mount_refuses_a_system_folder_or_a_socket_folder_unless_forced()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(host["agent.sock"]));
        var target = $"/mnt/{TestNames.New("force")}";
        try
        {
            var root = await IsbTool.RunAsync("mount", name, "/", "/host", "--mode", "ro");
            var socket = await IsbTool.RunAsync("mount", name, host.Path, target, "--mode", "ro");
            var forced = await IsbTool.RunAsync("mount", name, host.Path, target, "--mode", "ro", "--force");

            root.ExitCode.ShouldBe(1);
            root.StandardError.ShouldStartWith("error: Refusing to mount '/'");
            root.StandardError.ShouldContain("--force");
            socket.ExitCode.ShouldBe(1);
            socket.StandardError.ShouldContain(host["agent.sock"]);
            forced.ExitCode.ShouldBe(0, forced.StandardError);
        }
        finally
        {
            await IsbTool.RunAsync("unmount", name, target);
        }
    }
}
