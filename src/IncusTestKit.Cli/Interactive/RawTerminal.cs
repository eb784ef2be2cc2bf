using System.Runtime.InteropServices;

namespace IncusTestKit.Cli.Interactive;

/// <summary>
/// This process's terminal in raw mode: every keystroke (Ctrl-C and Ctrl-D included) reaches us as a byte instead of
/// being turned into a signal or an end-of-file, and nothing is echoed. Disposing restores the settings it found.
/// Linux and macOS only (libc's <c>tcgetattr</c>, <c>cfmakeraw</c>, <c>tcsetattr</c>).
/// </summary>
internal sealed partial class RawTerminal : IDisposable
{
    private const int StdinDescriptor = 0;
    private const int TcsaNow = 0;
    // struct termios is 60 bytes on glibc and 44 on macOS; room to spare keeps it opaque.
    private const int TermiosSize = 256;
    private const ulong LinuxGetWindowSize = 0x5413;
    private const ulong MacGetWindowSize = 0x40087468;

    private readonly byte[] _saved;
    private int _restored;

    private RawTerminal(byte[] saved) => _saved = saved;

    /// <summary>Whether a descriptor (0, 1, 2) is a terminal.</summary>
    public static bool IsTerminal(int descriptor) => !OperatingSystem.IsWindows() && isatty(descriptor) == 1;

    /// <summary>Switches standard input's terminal to raw mode; null when standard input is not a terminal.</summary>
    /// <exception cref="IOException">The terminal refused the change.</exception>
    public static RawTerminal? Enter()
    {
        if (!IsTerminal(StdinDescriptor))
            return null;
        var saved = new byte[TermiosSize];
        if (tcgetattr(StdinDescriptor, saved) != 0)
            throw new IOException($"Cannot read the terminal's settings (errno {Marshal.GetLastPInvokeError()}).");
        var raw = (byte[])saved.Clone();
        cfmakeraw(raw);
        if (tcsetattr(StdinDescriptor, TcsaNow, raw) != 0)
            throw new IOException($"Cannot switch the terminal to raw mode (errno {Marshal.GetLastPInvokeError()}).");
        return new RawTerminal(saved);
    }

    /// <summary>
    /// The terminal's size in columns and rows, read from standard input, output or error, whichever is a terminal;
    /// null when none is (or it reports no size).
    /// </summary>
    public static (int Width, int Height)? GetSize()
    {
        if (OperatingSystem.IsWindows())
            return null;
        var request = OperatingSystem.IsMacOS() ? MacGetWindowSize : LinuxGetWindowSize;
        foreach (var descriptor in new[] { 0, 1, 2 })
        {
            var size = default(WindowSize);
            if (ioctl(descriptor, (nuint)request, ref size) == 0 && size.Columns > 0 && size.Rows > 0)
                return (size.Columns, size.Rows);
        }
        return null;
    }

    /// <summary>Restores the settings found by <see cref="Enter"/>; safe to call more than once, and from a signal handler.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _restored, 1) == 1)
            return;
        // A terminal that has gone away (SIGHUP) cannot be restored, and need not be.
        _ = tcsetattr(StdinDescriptor, TcsaNow, _saved);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort PixelWidth;
        public ushort PixelHeight;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int isatty(int descriptor);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcgetattr(int descriptor, [Out] byte[] termios);

    [LibraryImport("libc")]
    private static partial void cfmakeraw([In, Out] byte[] termios);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcsetattr(int descriptor, int optionalActions, [In] byte[] termios);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int descriptor, nuint request, ref WindowSize size);
}
