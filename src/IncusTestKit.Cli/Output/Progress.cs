namespace IncusTestKit.Cli.Output;

/// <summary>
/// A one-line spinner on standard error while something slow runs, shown only when standard output and standard
/// error are both terminals; disposing it erases the line. Otherwise it does nothing.
/// </summary>
internal sealed class Progress : IDisposable
{
    private static readonly string[] Frames = ["|", "/", "-", "\\"];
    private readonly string _message;
    private readonly Timer? _timer;
    private readonly Lock _gate = new();
    private int _frame;
    private bool _done;

    private Progress(string message, bool show)
    {
        _message = message;
        if (show)
            _timer = new Timer(_ => Draw(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(120));
    }

    /// <summary>Starts showing <paramref name="message"/> (without a trailing ellipsis; one is added).</summary>
    public static Progress Start(string message) => new(message, Terminal.IsInteractive && !Console.IsErrorRedirected);

    private void Draw()
    {
        lock (_gate)
        {
            if (_done)
                return;
            // The message once, then only the spinner character in front of it.
            Console.Error.Write(_frame == 0 ? $"\r{Frames[0]} {_message}..." : $"\r{Frames[_frame % Frames.Length]}");
            _frame++;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_timer is null)
            return;
        lock (_gate)
        {
            if (_done)
                return;
            _done = true;
            _timer.Dispose();
            Console.Error.Write("\r\u001b[2K");
        }
    }
}
