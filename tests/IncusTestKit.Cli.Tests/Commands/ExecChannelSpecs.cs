using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>create --exec-channel, and info saying which channel a sandbox's commands take.</summary>
public sealed class ExecChannelSpecs
{
    [Fact]
    public async Task Info_says_whether_a_sandbox_runs_its_commands_through_the_agent_or_the_daemon()
    {
        await IncusDaemon.RequireAsync();
        // Busybox has no libc of its own: the static agent runs there too.
        var busybox = TestNames.New("xagent");
        var debian = TestNames.New("xdaemon");
        try
        {
            (await IsbTool.RunAsync("create", busybox, "--image", TestImages.Busybox, "--exec-channel", "auto")).ExitCode.ShouldBe(0);
            (await IsbTool.RunAsync("create", debian, "--image", TestImages.Debian, "--exec-channel", "daemon")).ExitCode.ShouldBe(0);

            var exec = await IsbTool.RunAsync("exec", busybox, "--", "echo", "through the agent");
            var agentInfo = await IsbTool.RunJsonAsync("info", busybox, "--json");
            var daemonInfo = await IsbTool.RunJsonAsync("info", debian, "--json");
            var text = await IsbTool.RunAsync("info", busybox);

            exec.StandardOutput.ShouldBe("through the agent\n");
            agentInfo.GetProperty("execChannel").GetString().ShouldBe("auto");
            agentInfo.GetProperty("execChannelInUse").GetString().ShouldBe("agent");
            daemonInfo.GetProperty("execChannel").GetString().ShouldBe("daemon");
            daemonInfo.GetProperty("execChannelInUse").GetString().ShouldBe("daemon");
            text.StandardOutput.ShouldContain("agent (auto: IncusTestKit's exec agent");
        }
        finally
        {
            await Leftovers.DestroyAsync(busybox);
            await Leftovers.DestroyAsync(debian);
        }
    }
}
