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
        var deadline = DateTime.UtcNow + bound;
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                // A pending read is not cancelled by its token, so the wait itself is bounded.
                var read = await session.ReadOutputAsync(buffer, Ct).AsTask().WaitAsync(deadline - DateTime.UtcNow, Ct);
                if (read == 0)
                    return true;
                if (enough(Encoding.UTF8.GetString(buffer, 0, read)))
                    return false;
            }
        }
        catch (TimeoutException)
        {
            return false; // out of time: the assertion says what did not happen
        }
    }
}
