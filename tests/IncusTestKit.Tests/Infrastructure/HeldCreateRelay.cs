using System.Net.Sockets;
using System.Text;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// A Unix-socket relay in front of the real daemon that holds back the first create request (<c>POST /1.0/instances</c>)
/// until <see cref="Release"/>: a test acts (a signal, a cancellation, a dispose) while the request is in flight, then
/// lets it reach the daemon, which makes the instance. Every byte passes unchanged; a request whose sender has gone
/// still reaches the daemon, as one already on the wire would.
/// </summary>
public sealed class HeldCreateRelay : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _folder = Directory.CreateTempSubdirectory("isbt-relay-").FullName;
    private readonly string _daemonSocket;
    private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private int _held;

    public HeldCreateRelay(string daemonSocket = "/var/lib/incus/unix.socket")
    {
        _daemonSocket = daemonSocket;
        SocketPath = Path.Combine(_folder, "incus.sock");
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen();
        _ = AcceptAsync();
    }

    /// <summary>Where clients connect instead of the daemon's socket.</summary>
    public string SocketPath { get; }

    /// <summary>Completes when the create request has arrived (and is being held).</summary>
    public Task CreateRequested => _seen.Task;

    /// <summary>Lets the held create request through to the daemon.</summary>
    public void Release() => _release.TrySetResult();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var _ = client;
        using var daemon = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await daemon.ConnectAsync(new UnixDomainSocketEndPoint(_daemonSocket), _stop.Token);
            var up = PumpRequestsAsync(client, daemon);
            await PumpAsync(daemon, client);
            await up.WaitAsync(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    // Client to daemon. The sender going away does not end the connection: what it sent is delivered and answered.
    private async Task PumpRequestsAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                    return;
                if (Encoding.ASCII.GetString(buffer, 0, read).Contains("POST /1.0/instances?", StringComparison.Ordinal)
                    && Interlocked.Exchange(ref _held, 1) == 0)
                {
                    _seen.TrySetResult();
                    await _release.Task.WaitAsync(_stop.Token);
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    // Daemon to client: ends when either side closes, which ends the relayed connection.
    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
                return;
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _stop.CancelAsync();
        _listener.Dispose();
        _stop.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
