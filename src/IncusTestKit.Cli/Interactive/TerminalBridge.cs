using System.Runtime.InteropServices;
using IncusTestKit.Exec;
using Microsoft.Win32.SafeHandles;

namespace IncusTestKit.Cli.Interactive;

/// <summary>How a <see cref="TerminalBridge"/> session ended.</summary>
internal enum BridgeEnd
{
    /// <summary>The program exited, or the console went away.</summary>
    Exited,
    /// <summary>The user detached from a console (Ctrl-a q, or the end of piped input).</summary>
    Detached,
    /// <summary>The token was cancelled (a signal to this tool).</summary>
    Cancelled,
}

/// <summary>
/// Connects a <see cref="TerminalSession"/> to this process's terminal: keystrokes go to the sandbox as raw bytes
/// (so Ctrl-C and Ctrl-D are the sandbox's), its output goes to ours as it arrives, and resizing our window resizes
/// its terminal. When standard input is not a terminal (a console fed from a pipe), its bytes are sent as they are;
/// its end detaches a console, and reaches a shell as Ctrl-D, as a terminal would send it.
/// </summary>
internal static class TerminalBridge
{
    private const byte EndOfTransmission = 0x04;

    /// <summary>Runs until the program exits, the console is detached, or <paramref name="cancellationToken"/> is cancelled; the terminal is restored in every case.</summary>
    /// <param name="session">The shell or console.</param>
    /// <param name="isConsole">Whether Ctrl-a q detaches (a console), rather than the program ending by itself.</param>
    /// <param name="cancellationToken">Ends the session early (a signal to this tool).</param>
    public static async Task<BridgeEnd> RunAsync(TerminalSession session, bool isConsole, CancellationToken cancellationToken)
    {
        var detached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stdout = OpenStdout();
        using var raw = RawTerminal.Enter();
        using var onCancel = cancellationToken.Register(() => cancelled.TrySetResult());
        using var onResize = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => ResizeInBackground(session));

        var output = PumpOutputAsync(session, stdout);
        // Not awaited at the end: a read from a terminal cannot be interrupted, and the process ends soon after.
        _ = Task.Factory.StartNew(() => PumpInput(session, isConsole, detached), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var first = await Task.WhenAny(output, detached.Task, cancelled.Task);
        if (first == output)
            await output; // the daemon stopping to answer ends the session with its error
        return first == output ? BridgeEnd.Exited
            : first == detached.Task ? BridgeEnd.Detached
            : BridgeEnd.Cancelled;
    }

    /// <summary>Columns and rows of this process's terminal, or 80 × 24 when it has none.</summary>
    public static (int Width, int Height) CurrentSize() => RawTerminal.GetSize() ?? (80, 24);

    private static async Task PumpOutputAsync(TerminalSession session, Stream stdout)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            int read;
            while ((read = await session.ReadOutputAsync(buffer)) > 0)
            {
                await stdout.WriteAsync(buffer.AsMemory(0, read));
                await stdout.FlushAsync();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Our own terminal or pipe went away (a hang-up, | head): the session is over either way.
        }
    }

    private static void PumpInput(TerminalSession session, bool isConsole, TaskCompletionSource detached)
    {
        var escape = isConsole ? new ConsoleEscape() : null;
        var buffer = new byte[4096];
        try
        {
            using var stdin = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
            int read;
            while ((read = stdin.Read(buffer)) > 0)
            {
                ReadOnlyMemory<byte> keys = buffer.AsMemory(0, read);
                if (escape is not null)
                    keys = escape.Filter(keys.Span);
                session.WriteInputAsync(keys).AsTask().GetAwaiter().GetResult();
                if (escape?.Detached == true)
                {
                    detached.TrySetResult();
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException or ArgumentException)
        {
            // No standard input at all, or the session ended while we wrote: the same as its end.
        }

        // End of input (a pipe, or a terminal that hung up): a console is left; a shell is told as a terminal would tell it.
        if (isConsole)
        {
            detached.TrySetResult();
            return;
        }
        try
        {
            session.WriteInputAsync(new[] { EndOfTransmission }).AsTask().GetAwaiter().GetResult();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static void ResizeInBackground(TerminalSession session) => _ = ResizeAsync(session);

    private static async Task ResizeAsync(TerminalSession session)
    {
        try
        {
            var (width, height) = CurrentSize();
            await session.ResizeAsync(width, height);
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
            // The session ended meanwhile.
        }
    }

    // Raw bytes, unbuffered. A pipe or terminal gets a plain stream on its descriptor (the console stream hides
    // EPIPE); a file keeps the console stream, which writes at the file's own offset.
    private static Stream OpenStdout()
    {
        if (OperatingSystem.IsWindows())
            return Console.OpenStandardOutput();
        var stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!stream.CanSeek)
            return stream;
        stream.Dispose();
        return Console.OpenStandardOutput();
    }
}
