using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>
/// <c>dotnet isb disp</c> on a real terminal (tmux): a person types into the sandbox's shell, resizes the window,
/// presses Ctrl-C and Ctrl-D, and finds their own terminal as it was once the sandbox is gone.
/// </summary>
[Trait("Category", IsbTool.NativeSubset)]
[Collection(DispInstances.Collection)]
public sealed class DispTerminalSpecs
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_person_types_into_the_shell_resizes_it_interrupts_it_and_leaves_with_Ctrl_D()
    {
        TmuxSession.Require();
        await IncusDaemon.RequireAsync();
        string? screen = null;
        await using (var tmux = await TmuxSession.StartAsync(100, 30, "sh"))
        {
            try
            {
                await tmux.TypeLineAsync($"{IsbTool.ShellLauncher} disp --image {TestImages.Busybox}; echo disp-exit=$?");
                screen = await tmux.WaitForAsync(s => s.Contains("leave the shell (exit, or Ctrl-D) to delete it") && s.TrimEnd().EndsWith('#'),
                    "the sandbox's shell prompt", Patience);
                var name = DispInstances.NameIn(screen);

                await tmux.TypeLineAsync("echo $((6 * 7))-from-$(hostname)");
                await tmux.WaitForLineAsync($"42-from-{name}", Patience);

                await tmux.TypeLineAsync("stty size");
                await tmux.WaitForLineAsync("30 100", Patience);
                await tmux.ResizeAsync(120, 40);
                // The new size reaches the sandbox's terminal a moment later: the shell waits for it (the test bounds the wait).
                await tmux.TypeLineAsync("until [ \"$(stty size)\" = '40 120' ]; do sleep 0.1; done; stty size");
                await tmux.WaitForLineAsync("40 120", Patience);

                // Ctrl-C belongs to the sandbox: it stops the sleep there, and the tool carries on.
                await using var client = new SandboxClient();
                var sandbox = await client.GetByNameAsync(name, TestContext.Current.CancellationToken);
                await tmux.TypeLineAsync("sleep 300");
                (await Poll.UntilAsync(async () => (await ProcessesAsync(sandbox)).Contains("sleep 300", StringComparison.Ordinal), Patience))
                    .ShouldBeTrue("'sleep 300' did not start in the sandbox");
                await tmux.KeysAsync("C-c");
                await tmux.TypeLineAsync("echo still-$((1 + 1))");
                await tmux.WaitForLineAsync("still-2", Patience);
                (await ProcessesAsync(sandbox)).ShouldNotContain("sleep 300");
                (await DispInstances.ExistsAsync(name)).ShouldBeTrue();

                await tmux.KeysAsync("C-d");
                screen = await tmux.WaitForLineAsync("disp-exit=0", Patience);
                screen.ShouldContain($"isb: {name} deleted");
                (await DispInstances.ExistsAsync(name)).ShouldBeFalse();

                // Our own terminal is back as it was: line editing and echo on.
                await tmux.TypeLineAsync("stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo -e isig | sort | tr '\\n' ,; echo");
                await tmux.WaitForLineAsync("echo,icanon,isig,", Patience);
            }
            finally
            {
                screen = await tmux.ScreenAsync();
                await DispInstances.DestroyNamedInAsync(screen);
            }
        }
    }

    [Fact]
    public async Task Ctrl_a_q_detaches_from_the_console_and_deletes_the_sandbox()
    {
        TmuxSession.Require();
        await IncusDaemon.RequireAsync();
        await using var tmux = await TmuxSession.StartAsync(100, 30, "sh");
        try
        {
            await tmux.TypeLineAsync($"{IsbTool.ShellLauncher} disp --console --image {TestImages.Busybox}; echo disp-exit=$?");
            var screen = await tmux.WaitForAsync(s => s.Contains("Ctrl-a q detaches and deletes it"), "the console attached", Patience);
            var name = DispInstances.NameIn(screen);

            await tmux.KeysAsync("C-a", "q");

            screen = await tmux.WaitForLineAsync("disp-exit=0", Patience);
            screen.ShouldContain($"isb: {name} deleted");
            (await DispInstances.ExistsAsync(name)).ShouldBeFalse();
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(await tmux.ScreenAsync());
        }
    }

    [Fact]
    public async Task Closing_the_terminal_deletes_the_sandbox()
    {
        TmuxSession.Require();
        await IncusDaemon.RequireAsync();
        var tmux = await TmuxSession.StartAsync(100, 30, "sh");
        string screen;
        try
        {
            await tmux.TypeLineAsync($"{IsbTool.ShellLauncher} disp --image {TestImages.Busybox}");
            screen = await tmux.WaitForAsync(s => s.Contains("leave the shell") && s.TrimEnd().EndsWith('#'), "the sandbox's shell prompt", Patience);
        }
        catch
        {
            await DispInstances.DestroyNamedInAsync(await tmux.ScreenAsync());
            await tmux.DisposeAsync();
            throw;
        }

        // The window goes away: the tool gets SIGHUP.
        await tmux.DisposeAsync();

        var name = DispInstances.NameIn(screen);
        var gone = await DispInstances.GoneWithinAsync(name, TimeSpan.FromSeconds(30));
        if (!gone)
            await Leftovers.DestroyAsync(name);
        gone.ShouldBeTrue();
    }

    private static async Task<string> ProcessesAsync(Sandbox sandbox) =>
        (await sandbox.RunCommandAsync(["ps"], cancellationToken: TestContext.Current.CancellationToken)).Stdout;
}
