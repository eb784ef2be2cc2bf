using System.Text;
using IncusTestKit.Exec;
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
    public async Task The_console_shows_what_is_written_to_it()
    {
        var sandbox = await shared.GetAsync();
        var marker = "isbt-console-" + Guid.NewGuid().ToString("N")[..8];

        await using var session = await sandbox.AttachConsoleAsync(new ConsoleOptions { Width = 120, Height = 40 }, Ct);
        (await sandbox.RunCommandAsync(["sh", "-c", $"echo {marker} > /dev/console"], cancellationToken: Ct)).EnsureSuccess();

        (await ReadUntilAsync(session, marker)).ShouldContain(marker);
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
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        var output = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            while (!output.ToString().Contains(expected, StringComparison.Ordinal))
            {
                var read = await session.ReadOutputAsync(buffer, deadline.Token);
                if (read == 0)
                    break;
                output.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            // Out of time: the assertion shows what did arrive.
        }
        return output.ToString();
    }
}
