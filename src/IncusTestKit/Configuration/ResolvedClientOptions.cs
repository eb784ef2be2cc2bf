using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Configuration;

/// <summary>The options in force after code, environment and defaults were merged.</summary>
internal sealed record ResolvedClientOptions(IncusEndpoint Endpoint, string Remote, string Project, string DefaultImage, SandboxType DefaultType, TimeSpan DaemonTimeout)
{
    private static readonly TimeSpan MaxDaemonTimeout = TimeSpan.FromDays(1);

    public const string FallbackSocket = "/var/lib/incus/unix.socket";
    public const string FallbackImage = "isb/debian12";

    public static ResolvedClientOptions Resolve(SandboxClientOptions options, Func<string, string?> environment, IncusRemoteConfig remotes)
    {
        string? Env(string name) => string.IsNullOrWhiteSpace(environment(name)) ? null : environment(name);

        // An endpoint given whole names its remote, if any; no other remote setting applies to it.
        var remote = options.Endpoint is { } given ? given.Remote ?? "" : options.Remote ?? Env("INCUS_REMOTE") ?? remotes.DefaultRemote;
        // An explicit address or socket wins over the remote, whose own socket or address wins over the socket defaults.
        var endpoint = options.Endpoint ?? (options.Address is { } address
            ? IncusEndpoint.Https(address, options.ClientCertificatePath ?? Path.Combine(remotes.ConfigDirectory, "client.crt"),
                options.ClientKeyPath ?? Path.Combine(remotes.ConfigDirectory, "client.key"), options.ServerCertificatePath)
            : options.SocketPath is { } socketPath ? IncusEndpoint.Unix(socketPath)
            : remotes.EndpointOf(remote) ?? IncusEndpoint.Unix(Env("INCUS_SOCKET") ?? DefaultSocket(Env("INCUS_DIR"))));
        var project = options.Project ?? Env("INCUS_PROJECT") ?? remotes.ProjectOf(remote) ?? "default";
        var image = options.DefaultImage ?? Env("ISB_IMAGE") ?? FallbackImage;
        var daemonTimeout = options.DaemonTimeout ?? DaemonTimeoutFromEnvironment(Env("ISB_DAEMON_TIMEOUT")) ?? SandboxClientOptions.DefaultDaemonTimeout;
        if (daemonTimeout != Timeout.InfiniteTimeSpan && (daemonTimeout <= TimeSpan.Zero || daemonTimeout > MaxDaemonTimeout))
        {
            throw new ArgumentOutOfRangeException(nameof(options), daemonTimeout,
                "SandboxClientOptions.DaemonTimeout must be more than zero and at most a day, or Timeout.InfiniteTimeSpan for no bound.");
        }
        return new ResolvedClientOptions(endpoint, remote, project, image, options.DefaultType ?? SandboxType.Container, daemonTimeout);
    }

    // Seconds, as the other variables are plain values; 0 turns the bound off, as --daemon-timeout 0 does.
    private static TimeSpan? DaemonTimeoutFromEnvironment(string? value)
    {
        if (value is null)
            return null;
        if (!double.TryParse(value, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds > MaxDaemonTimeout.TotalSeconds)
        {
            throw new IncusTestKitException(SandboxErrorCode.InvalidConfiguration,
                $"ISB_DAEMON_TIMEOUT='{value}' is not a number of seconds: set it to how long the daemon may take to answer (for example 60), 0 for no bound, or unset it for the default of 30.");
        }
        return seconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);
    }

    private static string DefaultSocket(string? incusDir)
    {
        if (incusDir is not null)
            return Path.Combine(incusDir, "unix.socket");
        return File.Exists("/run/incus/unix.socket") ? "/run/incus/unix.socket" : FallbackSocket;
    }
}
