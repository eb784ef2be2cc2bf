namespace IncusTestKit.Configuration;

/// <summary>
/// Where a <see cref="Sandboxes.SandboxClient"/> reaches the Incus daemon: its local Unix socket, or a remote server over
/// HTTPS with a client certificate. Both carry every call (REST, operation waits, exec and console websockets, files).
/// </summary>
public sealed record IncusEndpoint
{
    private IncusEndpoint(string? socketPath, Uri? address, string? clientCertificatePath, string? clientKeyPath, string? serverCertificatePath, string? remote)
    {
        SocketPath = socketPath;
        Address = address;
        ClientCertificatePath = clientCertificatePath;
        ClientKeyPath = clientKeyPath;
        ServerCertificatePath = serverCertificatePath;
        Remote = remote;
    }

    /// <summary>The daemon's Unix socket; null for a remote server.</summary>
    public string? SocketPath { get; }

    /// <summary>The remote server's <c>https://host:port</c> address; null for a Unix socket.</summary>
    public Uri? Address { get; }

    /// <summary>The PEM client certificate presented to a remote server (it must be in the server's trust store).</summary>
    public string? ClientCertificatePath { get; }

    /// <summary>The PEM private key of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientKeyPath { get; }

    /// <summary>The PEM server certificate a remote server must present (pinned); null to verify it against the system's CAs.</summary>
    public string? ServerCertificatePath { get; }

    /// <summary>The <c>incus</c> client remote this endpoint came from, when it came from one (used in error messages).</summary>
    public string? Remote { get; }

    /// <summary>True for a remote server over HTTPS: host paths (mounts, the socket) are on another machine.</summary>
    public bool IsRemote => Address is not null;

    /// <summary>The daemon's Unix socket.</summary>
    /// <param name="socketPath">The socket's path.</param>
    public static IncusEndpoint Unix(string socketPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(socketPath);
        return new(socketPath, null, null, null, null, null);
    }

    /// <summary>A remote server over HTTPS, authenticated by a client certificate the server trusts.</summary>
    /// <param name="address">The server's address: <c>https://host</c> or <c>https://host:port</c> (default port 8443).</param>
    /// <param name="clientCertificatePath">The PEM client certificate.</param>
    /// <param name="clientKeyPath">Its PEM private key.</param>
    /// <param name="serverCertificatePath">The server's PEM certificate to pin; null to verify against the system's CAs.</param>
    /// <param name="remote">The <c>incus</c> remote's name, for messages; null when given by address.</param>
    /// <exception cref="ArgumentException">The address is not an absolute https URL.</exception>
    public static IncusEndpoint Https(string address, string clientCertificatePath, string clientKeyPath, string? serverCertificatePath, string? remote = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientCertificatePath);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientKeyPath);
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.AbsolutePath != "/" || uri.Query.Length > 0)
            throw new ArgumentException($"'{address}' is not a server address: give https://host or https://host:port.", nameof(address));
        // The incus CLI's default port when an address has none.
        var port = HasExplicitPort(address) ? uri.Port : 8443;
        var normalized = new UriBuilder(Uri.UriSchemeHttps, uri.Host, port).Uri;
        return new(null, normalized, clientCertificatePath, clientKeyPath, serverCertificatePath, remote);
    }

    private static bool HasExplicitPort(string address)
    {
        var authority = address["https://".Length..].TrimEnd('/');
        var afterHost = authority.StartsWith('[') ? authority[(authority.IndexOf(']', StringComparison.Ordinal) + 1)..] : authority;
        return afterHost.Contains(':', StringComparison.Ordinal);
    }

    /// <summary>The socket path, or the server's address (with its remote's name when it has one).</summary>
    public override string ToString() =>
        SocketPath ?? (Remote is null ? Address!.GetLeftPart(UriPartial.Authority) : $"{Address!.GetLeftPart(UriPartial.Authority)} (remote '{Remote}')");
}
