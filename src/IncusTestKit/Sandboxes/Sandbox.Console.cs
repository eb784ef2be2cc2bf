using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Exec;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    /// <summary>
    /// Attaches to the sandbox's text console (<c>/dev/console</c> of a container, the serial console of a virtual
    /// machine), as <c>incus console</c> does: what its init and getty write, and your keystrokes to them. Nothing is
    /// started; the console keeps running after you detach. Dispose the session to detach.
    /// </summary>
    /// <param name="options">The console's size; null for 80x24.</param>
    /// <param name="cancellationToken">Cancels the attach.</param>
    /// <returns>
    /// A session whose <see cref="TerminalSession.ReadOutputAsync"/> returns 0 when the console goes away (the sandbox
    /// stopped), and whose <see cref="TerminalSession.WaitForExitAsync"/> returns 0 once it is detached.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">The width or height is not positive.</exception>
    /// <exception cref="Errors.SandboxNotRunningException">The sandbox is stopped or frozen.</exception>
    /// <exception cref="Errors.IncusTestKitException">The daemon refused the attach (another client holds the console).</exception>
    public async Task<TerminalSession> AttachConsoleAsync(ConsoleOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        options ??= new ConsoleOptions();
        TerminalSession.ValidateSize(options.Width, options.Height);
        var incus = _client.Incus;
        var response = await incus.RequestAsync(HttpMethod.Post, incus.Scoped(InstancesApi.PathOf(Name) + "/console"),
            IncusTransport.Json(new ConsolePost { Width = options.Width, Height = options.Height }, IncusJsonContext.Default.ConsolePost),
            incus.Instances.Context($"Attaching to the console of sandbox '{Name}'", Name), cancellationToken).ConfigureAwait(false);
        var operation = response.Metadata.Deserialize(IncusJsonContext.Default.Operation)!;
        var fds = operation.Metadata.GetProperty("fds");
        string Path(string fd) => $"/1.0/operations/{operation.Id}/websocket?secret={Uri.EscapeDataString(fds.GetProperty(fd).GetString()!)}";
        // The Go client's order: control first, then the console itself.
        var control = await incus.Transport.ConnectWebSocketAsync(Path("control"), cancellationToken).ConfigureAwait(false);
        try
        {
            var data = await incus.Transport.ConnectWebSocketAsync(Path("0"), cancellationToken).ConfigureAwait(false);
            return new TerminalSession(incus, operation.Id, $"The console of sandbox '{Name}'", data, control, isConsole: true);
        }
        catch
        {
            control.Dispose();
            throw;
        }
    }
}
