using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Exec;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    /// <summary>
    /// Starts an interactive program (a shell, an editor) on a pseudo-terminal in the sandbox. Connect the
    /// session to a real terminal or drive it from code; dispose it when done.
    /// </summary>
    /// <param name="argv">The program and its arguments, e.g. <c>["bash", "-l"]</c>.</param>
    /// <param name="options">Terminal size, TERM, working directory, environment and user.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ArgumentOutOfRangeException">The width or height is not positive.</exception>
    /// <exception cref="Errors.SandboxNotRunningException">The sandbox is stopped or frozen.</exception>
    public async Task<TerminalSession> StartTerminalAsync(IReadOnlyList<string> argv, TerminalOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        ArgumentNullException.ThrowIfNull(argv);
        if (argv.Count == 0)
            throw new ArgumentException("The program needs at least a name.", nameof(argv));
        options ??= new TerminalOptions();
        TerminalSession.ValidateSize(options.Width, options.Height);
        var environment = new Dictionary<string, string>(options.Environment, StringComparer.Ordinal) { ["TERM"] = options.Term };
        var (uid, gid) = await ResolveUserAsync(options.User, environment, cancellationToken).ConfigureAwait(false);
        var body = new ExecPost
        {
            Command = argv,
            Environment = environment,
            Cwd = options.WorkingDirectory ?? environment.GetValueOrDefault("HOME") ?? (uid == 0 ? "/root" : "/"),
            User = uid,
            Group = gid,
            Interactive = true,
            WaitForWebsocket = true,
            Width = options.Width,
            Height = options.Height,
        };
        var incus = _client.Incus;
        var response = await incus.RequestAsync(HttpMethod.Post, incus.Scoped(InstancesApi.PathOf(Name) + "/exec"),
            IncusTransport.Json(body, IncusJsonContext.Default.ExecPost),
            incus.Instances.Context($"Starting '{string.Join(' ', argv)}' in sandbox '{Name}'", Name), cancellationToken).ConfigureAwait(false);
        var operation = response.Metadata.Deserialize(IncusJsonContext.Default.Operation)!;
        var fds = operation.Metadata.GetProperty("fds");
        string Path(string fd) => $"/1.0/operations/{operation.Id}/websocket?secret={Uri.EscapeDataString(fds.GetProperty(fd).GetString()!)}";
        var control = await incus.Transport.ConnectWebSocketAsync(Path("control"), cancellationToken).ConfigureAwait(false);
        try
        {
            var data = await incus.Transport.ConnectWebSocketAsync(Path("0"), cancellationToken).ConfigureAwait(false);
            return new TerminalSession(incus, operation.Id, $"Running '{string.Join(' ', argv)}' in sandbox '{Name}'", data, control);
        }
        catch
        {
            control.Dispose();
            throw;
        }
    }
}
