using System.Security.Cryptography;
using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// A real terminal for interactive tests: a tmux session on a private server (its own socket, no user config), driven
/// by sending keys and reading the screen. Disposing kills that server and nothing else.
/// </summary>
public sealed class TmuxSession : IAsyncDisposable
{
    private const string Session = "isbt";
    private readonly string _socket = "isbt-" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8);
    private string? _socketPath;

    private TmuxSession()
    {
    }

    /// <summary>Whether tmux is on PATH.</summary>
    public static bool Available { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, "tmux")));

    /// <summary>Skips the calling test without tmux, unless ISB_REQUIRE_INCUS=1 (CI), where its absence is a failure.</summary>
    public static void Require()
    {
        if (Available)
            return;
        if (IncusDaemon.Required)
            Assert.Fail("ISB_REQUIRE_INCUS=1 but tmux is not installed; the interactive tests need it (build/bootstrap.sh installs it).");
        Assert.Skip("tmux is not installed, and the interactive disp tests drive a real terminal through it. Install it (apt-get install tmux, or ./build.sh bootstrap).");
    }

    /// <summary>Starts a detached session of <paramref name="width"/> × <paramref name="height"/> running <paramref name="command"/> (a shell command line).</summary>
    public static async Task<TmuxSession> StartAsync(int width, int height, string command)
    {
        var tmux = new TmuxSession();
        await tmux.RunAsync("-f", "/dev/null", "new-session", "-d", "-s", Session, "-x", $"{width}", "-y", $"{height}", command);
        tmux._socketPath = (await tmux.RunAsync("display-message", "-p", "#{socket_path}")).StandardOutput.Trim();
        return tmux;
    }

    /// <summary>Types text literally (no key names), without Enter.</summary>
    public Task TypeAsync(string text) => RunAsync("send-keys", "-t", Session, "-l", text);

    /// <summary>Types a line and presses Enter.</summary>
    public async Task TypeLineAsync(string text)
    {
        await TypeAsync(text);
        await KeysAsync("Enter");
    }

    /// <summary>Presses keys by tmux name: <c>C-c</c>, <c>C-d</c>, <c>Enter</c>.</summary>
    public Task KeysAsync(params string[] keys) => RunAsync(["send-keys", "-t", Session, .. keys]);

    /// <summary>Resizes the window, as a person dragging the terminal's corner.</summary>
    public Task ResizeAsync(int width, int height) => RunAsync("resize-window", "-t", Session, "-x", $"{width}", "-y", $"{height}");

    /// <summary>The screen and its scroll-back, lines joined where the terminal wrapped them.</summary>
    public async Task<string> ScreenAsync() => (await RunAsync("capture-pane", "-p", "-J", "-S", "-500", "-t", Session)).StandardOutput;

    /// <summary>Waits until the screen satisfies <paramref name="condition"/>; fails with the screen after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> condition, string what, TimeSpan timeout)
    {
        var screen = "";
        if (!await Poll.UntilAsync(async () => condition(screen = await ScreenAsync()), timeout))
            Assert.Fail($"The terminal did not show {what} within {timeout.TotalSeconds:0} s. The screen:\n{screen}");
        return screen;
    }

    /// <summary>Waits until a line of the screen is exactly <paramref name="line"/> (an output, not the command that was typed).</summary>
    public Task<string> WaitForLineAsync(string line, TimeSpan timeout) =>
        WaitForAsync(screen => screen.Split('\n').Any(l => l.TrimEnd() == line), $"a line '{line}'", timeout);

    private async Task<BufferedCommandResult> RunAsync(params string[] arguments)
    {
        var result = await CliWrap.Cli.Wrap("tmux").WithArguments(["-L", _socket, .. arguments])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(CancellationToken.None);
        if (result.ExitCode != 0)
            Assert.Fail($"tmux {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        return result;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CliWrap.Cli.Wrap("tmux").WithArguments(["-L", _socket, "kill-server"])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(CancellationToken.None);
        // tmux leaves its socket file behind.
        if (_socketPath is { Length: > 0 } path && File.Exists(path))
            File.Delete(path);
    }
}
