using System.Globalization;
using System.Net.WebSockets;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Errors;

namespace IncusTestKit.Exec;

/// <summary>
/// An interactive program on a pseudo-terminal in a sandbox (<see cref="Sandboxes.Sandbox.StartTerminalAsync"/>), or
/// the sandbox's console (<see cref="Sandboxes.Sandbox.AttachConsoleAsync"/>): write keystrokes, read what the terminal
/// shows, resize it, send signals. The library does no console I/O; the caller connects it to a terminal (or a test).
/// A session can stay quiet for as long as it likes; if the daemon stops answering (see
/// <see cref="Configuration.SandboxClientOptions.DaemonTimeout"/>), reads, writes and <see cref="WaitForExitAsync"/>
/// end in <see cref="IncusUnavailableException"/>.
/// </summary>
public sealed class TerminalSession : IAsyncDisposable
{
    private readonly ClientWebSocket _data;
    private readonly ClientWebSocket _control;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _controlLock = new(1, 1);
    private readonly bool _isConsole;
    private readonly Task<Client.Models.Operation> _ended;
    private volatile IncusUnavailableException? _unreachable;
    private int _inputClosed;

    // What the program wrote, received but not yet read: a frame can be larger than the caller's buffer.
    private readonly byte[] _received = new byte[16 * 1024];
    private int _receivedStart;
    private int _receivedEnd;

    // The receive in flight. A read's token is never passed to it (cancelling a websocket receive aborts the socket,
    // which kills the program): a cancelled read leaves it pending and the next read takes it over, so nothing is lost.
    private Task<ValueWebSocketReceiveResult>? _receiving;
    private int _reading;

    internal TerminalSession(IncusClient client, string operationId, string what, ClientWebSocket data, ClientWebSocket control, bool isConsole = false)
    {
        _data = data;
        _control = control;
        _isConsole = isConsole;
        _ = DrainControlAsync();
        // A quiet program and a stuck daemon look the same on the websockets (and a console's get no pings at all), so
        // the operation is waited on from the start: the daemon answering its wait rounds is the session's liveness.
        _ended = client.Operations.WaitFinalAsync(operationId, what, CancellationToken.None);
        _ = AbortWhenUnreachableAsync();
    }

    /// <summary>
    /// Reads what the program writes to the terminal into <paramref name="buffer"/>: waits until there is something,
    /// and returns 0 when the program has exited. Cancelling <paramref name="cancellationToken"/> ends a read that is
    /// still waiting (with <see cref="OperationCanceledException"/>) and leaves the session as it was: nothing the
    /// program writes is lost, and the next read gets it.
    /// </summary>
    /// <param name="buffer">Where the output goes; at least one byte.</param>
    /// <param name="cancellationToken">Ends the wait; the program keeps running.</param>
    /// <exception cref="InvalidOperationException">Another read is still waiting: one read at a time.</exception>
    /// <exception cref="IncusUnavailableException">The daemon stopped answering.</exception>
    public async ValueTask<int> ReadOutputAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
            throw new ArgumentException("The buffer must hold at least one byte.", nameof(buffer));
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref _reading, 1) == 1)
            throw new InvalidOperationException("A ReadOutputAsync is still waiting on this session; await it (or cancel it) before reading again.");
        try
        {
            while (_receivedStart == _receivedEnd)
            {
                _receiving ??= _data.ReceiveAsync(_received.AsMemory(), CancellationToken.None).AsTask();
                var received = await _receiving.WaitAsync(cancellationToken).ConfigureAwait(false);
                _receiving = null;
                if (received.MessageType == WebSocketMessageType.Close)
                    return 0;
                if (received.MessageType == WebSocketMessageType.Text && received.Count == 0 && received.EndOfMessage)
                {
                    // The program ended; the daemon completes the operation only once it gets end-of-input back.
                    await CloseInputAsync().ConfigureAwait(false);
                    return 0;
                }
                (_receivedStart, _receivedEnd) = (0, received.Count);
            }
            var count = Math.Min(buffer.Length, _receivedEnd - _receivedStart);
            _received.AsMemory(_receivedStart, count).CopyTo(buffer);
            _receivedStart += count;
            return count;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested && _unreachable is not null)
        {
            // An aborted receive ends in either; the daemon's silence is the cause.
            ThrowIfUnreachable();
            throw;
        }
        catch (WebSocketException)
        {
            return 0;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Sends keystrokes (or any bytes) to the program.</summary>
    public async ValueTask WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _inputClosed) == 1 || data.IsEmpty)
            return;
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _data.SendAsync(data, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested && _unreachable is not null)
        {
            ThrowIfUnreachable();
            throw;
        }
        catch (Exception e) when (e is WebSocketException or IOException)
        {
            // The program has exited and the daemon closed its input.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends end-of-input (an empty text frame). Safe to call more than once.</summary>
    public async ValueTask CloseInputAsync()
    {
        if (Interlocked.Exchange(ref _inputClosed, 1) == 1)
            return;
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _data.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Tells the program its terminal now has <paramref name="width"/> columns and <paramref name="height"/> rows.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The width or height is not positive.</exception>
    public ValueTask ResizeAsync(int width, int height, CancellationToken cancellationToken = default)
    {
        ValidateSize(width, height);
        return SendControlAsync(string.Create(CultureInfo.InvariantCulture,
            $$$"""{"command":"window-resize","args":{"width":"{{{width}}}","height":"{{{height}}}"}}"""), cancellationToken);
    }

    /// <summary>One check for every size a terminal or console is given: a size of 0 or less is the caller's mistake, said here.</summary>
    internal static void ValidateSize(int width, int height)
    {
        if (width <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), width, "The width (columns) of a terminal must be positive, e.g. 80.");
        if (height <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), height, "The height (rows) of a terminal must be positive, e.g. 24.");
    }

    /// <summary>Sends a signal to the program, e.g. <see cref="Signal.Interrupt"/> as Ctrl-C would; a console ignores it.</summary>
    /// <param name="signal">The signal; one not named in <see cref="Signal"/> can be cast from its Linux number (1 to 64).</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <exception cref="ArgumentOutOfRangeException">The signal's number is not between 1 and 64.</exception>
    public ValueTask SignalAsync(Signal signal, CancellationToken cancellationToken = default)
    {
        if ((int)signal is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(signal), (int)signal, "A Linux signal number is between 1 and 64; use a named one such as Signal.Interrupt or Signal.Terminate.");
        return SendControlAsync(string.Create(CultureInfo.InvariantCulture, $$"""{"command":"signal","signal":{{(int)signal}}}"""), cancellationToken);
    }

    /// <summary>
    /// Waits for the program to end and returns its exit code. For a console session, waits until it is detached
    /// (disposed) or the console went away, and returns 0.
    /// </summary>
    /// <exception cref="IncusTestKitException">The daemon reports no exit code (the program could not be started).</exception>
    /// <exception cref="IncusUnavailableException">The daemon stopped answering.</exception>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        var done = await _ended.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_isConsole)
            return 0;
        if (done.Metadata.ValueKind == JsonValueKind.Object && done.Metadata.TryGetProperty("return", out var code) && code.ValueKind == JsonValueKind.Number)
            return code.GetInt32();
        throw new IncusTestKitException(SandboxErrorCode.OperationFailed, $"The interactive program ended without an exit code: {done.Err}");
    }

    private async ValueTask SendControlAsync(string json, CancellationToken cancellationToken)
    {
        await _controlLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _control.SendAsync(Encoding.UTF8.GetBytes(json).AsMemory(), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or IOException)
        {
            // The program has exited.
        }
        finally
        {
            _controlLock.Release();
        }
    }

    // Aborting fails every pending read and write at once; each then reports the daemon, not an ended program.
    private async Task AbortWhenUnreachableAsync()
    {
        try
        {
            await _ended.ConfigureAwait(false);
        }
        catch (IncusUnavailableException e)
        {
            _unreachable = e;
            _data.Abort();
            _control.Abort();
        }
        catch (Exception e) when (e is IncusTestKitException or ObjectDisposedException)
        {
            // Reported by WaitForExitAsync to whoever asks; the streams end by themselves.
        }
    }

    private void ThrowIfUnreachable()
    {
        if (_unreachable is { } e)
            ExceptionDispatchInfo.Throw(e);
    }

    // A pending receive answers the daemon's pings; closing this socket early would kill the program.
    private async Task DrainControlAsync()
    {
        var buffer = new byte[1024];
        try
        {
            while ((await _control.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Ends the session: end-of-input, then the sockets (which kills the program if it still runs, and detaches a console).</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseInputAsync().ConfigureAwait(false);
        _data.Dispose();
        _control.Dispose();
        // A receive left pending by a cancelled read fails with the socket; nobody reads it any more.
        _ = _receiving?.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        _sendLock.Dispose();
        _controlLock.Dispose();
    }
}
