using System.Text;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Exec;

public sealed class TerminalSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_terminal_has_the_size_its_options_ask_for()
    {
        var sandbox = await shared.GetAsync();

        await using var session = await sandbox.StartTerminalAsync(["stty", "size"], new TerminalOptions { Width = 101, Height = 31 }, Ct);

        (await ReadUntilAsync(session, "31 101")).ShouldContain("31 101");
    }

    [Fact]
    public async Task An_attached_console_ends_when_its_sandbox_stops()
    {
        await IncusDaemon.RequireAsync();
        await using var sandbox = await shared.Client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("console") }, Ct);

        await using var session = await sandbox.AttachConsoleAsync(new ConsoleOptions { Width = 120, Height = 40 }, Ct);
        await sandbox.StopAsync(force: true, cancellationToken: Ct);

        (await ReadToEndAsync(session)).ShouldBeTrue("the console was still open 30 s after its sandbox stopped");
    }

    [Fact]
    public async Task A_size_that_is_not_positive_is_refused_before_the_daemon_is_asked()
    {
        var sandbox = await shared.GetAsync();

        var terminal = await Should.ThrowAsync<ArgumentOutOfRangeException>(() => sandbox.StartTerminalAsync(["sh"], new TerminalOptions { Width = 0 }, Ct));
        var console = await Should.ThrowAsync<ArgumentOutOfRangeException>(() => sandbox.AttachConsoleAsync(new ConsoleOptions { Height = -1 }, Ct));

        terminal.Message.ShouldContain("width");
        console.Message.ShouldContain("height");
    }

    [Fact]
    public async Task A_read_with_nothing_to_read_ends_when_cancelled_and_the_session_still_works()
    {
        var sandbox = await shared.GetAsync();
        await using var session = await sandbox.StartTerminalAsync(["cat"], cancellationToken: Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));

        // cat prints nothing until it is given a line: the read waits until the token is cancelled, and no longer.
        var read = session.ReadOutputAsync(new byte[4096], cancel.Token).AsTask();
        var ended = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10), Ct));

        ended.ShouldBe(read, "the read still waited 10 s after its token was cancelled");
        await Should.ThrowAsync<OperationCanceledException>(() => read);
        await session.WriteInputAsync(Encoding.UTF8.GetBytes("still here\n"), Ct);
        (await ReadUntilAsync(session, "still here")).ShouldContain("still here");
        await session.WriteInputAsync(new byte[] { 4 }, Ct); // Ctrl-D: end of input, so cat exits
        (await ReadToEndAsync(session)).ShouldBeTrue("cat was still running 30 s after Ctrl-D");
        (await session.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task A_signal_by_name_reaches_the_program_and_a_number_that_is_no_signal_is_refused()
    {
        var sandbox = await shared.GetAsync();
        await using var session = await sandbox.StartTerminalAsync(["sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done"], cancellationToken: Ct);
        (await ReadUntilAsync(session, "ready")).ShouldContain("ready");

        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => session.SignalAsync((Signal)0, Ct).AsTask());
        await session.SignalAsync(Signal.Terminate, Ct);

        (await ReadUntilAsync(session, "got-term")).ShouldContain("got-term");
        (await ReadToEndAsync(session)).ShouldBeTrue("the program was still running 30 s after it said it got SIGTERM");
        (await session.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct)).ShouldBe(7);
    }

    /// <summary>What the session printed until <paramref name="expected"/> appeared, it ended, or 20 s passed.</summary>
    private static async Task<string> ReadUntilAsync(TerminalSession session, string expected)
    {
        var output = new StringBuilder();
        await ReadAsync(session, TimeSpan.FromSeconds(20), text => output.Append(text).ToString().Contains(expected, StringComparison.Ordinal));
        return output.ToString();
    }

    /// <summary>Whether the session ended (read 0) within 30 s.</summary>
    private static Task<bool> ReadToEndAsync(TerminalSession session) => ReadAsync(session, TimeSpan.FromSeconds(30), _ => false);

    /// <summary>Reads until <paramref name="enough"/> says so (false) or the session ends (true), within <paramref name="bound"/>.</summary>
    private static async Task<bool> ReadAsync(TerminalSession session, TimeSpan bound, Func<string, bool> enough)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(bound);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await session.ReadOutputAsync(buffer, deadline.Token);
                if (read == 0)
                    return true;
                if (enough(Encoding.UTF8.GetString(buffer, 0, read)))
                    return false;
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return false; // out of time: the assertion says what did not happen
        }
    }
}
