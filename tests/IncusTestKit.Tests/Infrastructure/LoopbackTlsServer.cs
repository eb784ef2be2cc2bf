using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Configuration;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// The test daemon as a remote server on 127.0.0.1 (<c>core.https_address</c>), with a client certificate it trusts for
/// as long as the fixture lives. The address is set only when the daemon has none, and unset again on dispose, so the
/// daemon is left as found; listening on HTTPS does not change anything for clients on the Unix socket. The trust entry
/// (named <c>isbt-tls-PID-*</c>) is removed on dispose, and any left by a killed run is removed at the start. Several
/// test processes may use it at once (two test assemblies run side by side): an entry of a live process is left alone,
/// and the address stays set while another process's entry remains.
/// </summary>
public sealed class LoopbackTlsServer : IAsyncLifetime
{
    private const string TrustPrefix = "isbt-tls-";
    private const string ServerCertificate = "/var/lib/incus/server.crt";

    private readonly string _folder = Directory.CreateTempSubdirectory("isbt-tls-").FullName;
    private bool _setAddress;
    private string? _fingerprint;

    /// <summary>The daemon's HTTPS address.</summary>
    public string Address { get; private set; } = "";

    /// <summary>The daemon trusts this client certificate; its server certificate is pinned.</summary>
    public IncusEndpoint Trusted { get; private set; } = null!;

    /// <summary>The pinned server certificate of the daemon.</summary>
    public static string ServerCertificatePath => ServerCertificate;

    public async ValueTask InitializeAsync()
    {
        await IncusDaemon.RequireAsync();
        await RemoveLeftoverTrustAsync();
        var current = (await IncusAsync("config", "get", "core.https_address")).Trim();
        if (current.Length == 0)
        {
            await IncusAsync("config", "set", "core.https_address", "127.0.0.1:8443");
            _setAddress = true;
            current = "127.0.0.1:8443";
        }
        Address = "https://127.0.0.1:" + current[(current.LastIndexOf(':') + 1)..];

        var (certificate, key) = NewCertificate("trusted", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await IncusAsync("config", "trust", "add-certificate", certificate, "--name", $"{TrustPrefix}{Environment.ProcessId}-{Path.GetFileName(_folder)}");
        _fingerprint = Convert.ToHexStringLower(SHA256.HashData(X509CertificateLoader.LoadCertificateFromFile(certificate).RawData));
        Trusted = IncusEndpoint.Https(Address, certificate, key, ServerCertificate);
    }

    /// <summary>A fresh certificate the daemon does not trust, valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
    public (string Certificate, string Key) NewCertificate(string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=isbt-{name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);
        var certificatePath = Path.Combine(_folder, name + ".crt");
        var keyPath = Path.Combine(_folder, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    /// <summary>
    /// An incus client config folder (for <c>INCUS_CONF</c>) whose remote <paramref name="remote"/> is this server, with
    /// the trusted client certificate and the pinned server certificate beside it, as <c>incus remote add</c> leaves them.
    /// It names no default remote, so clients that name none stay local. Removed on dispose.
    /// </summary>
    public string ClientConfig(string remote)
    {
        var folder = FileNamed("conf-" + remote);
        Directory.CreateDirectory(Path.Combine(folder, "servercerts"));
        File.Copy(Trusted.ClientCertificatePath!, Path.Combine(folder, "client.crt"), overwrite: true);
        File.Copy(Trusted.ClientKeyPath!, Path.Combine(folder, "client.key"), overwrite: true);
        File.Copy(ServerCertificatePath, Path.Combine(folder, "servercerts", remote + ".crt"), overwrite: true);
        File.WriteAllText(Path.Combine(folder, "config.yml"), $"remotes:\n  {remote}:\n    addr: {Address}\n    protocol: incus\n");
        return folder;
    }

    /// <summary>A file in the fixture's folder (removed on dispose).</summary>
    public string FileNamed(string name) => Path.Combine(_folder, name);

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Already gone when a fixture of an older checkout, which took every entry for a leftover, ran meanwhile.
            if (_fingerprint is not null && (await TrustEntriesAsync()).Any(e => _fingerprint.StartsWith(e.Fingerprint, StringComparison.Ordinal)))
                await IncusAsync("config", "trust", "remove", _fingerprint);
            if (_setAddress && (await TrustEntriesAsync()).Count == 0)
                await IncusAsync("config", "unset", "core.https_address");
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    // A run killed before its dispose leaves its trust entry: nobody else uses the prefix, and its process is gone. An
    // entry named without a process id (an older checkout's) is judged by its folder, which its dispose deletes.
    private static async Task RemoveLeftoverTrustAsync()
    {
        foreach (var (name, fingerprint) in await TrustEntriesAsync())
        {
            var rest = name[TrustPrefix.Length..];
            var dash = rest.IndexOf('-', StringComparison.Ordinal);
            var alive = dash > 0 && int.TryParse(rest[..dash], System.Globalization.CultureInfo.InvariantCulture, out var owner)
                ? Directory.Exists($"/proc/{owner}")
                : Directory.Exists(Path.Combine(Path.GetTempPath(), rest));
            if (!alive)
                await IncusAsync("config", "trust", "remove", fingerprint);
        }
    }

    /// <summary>The trust entries of this fixture, in any process: name and fingerprint (its first 12 digits).</summary>
    private static async Task<List<(string Name, string Fingerprint)>> TrustEntriesAsync()
    {
        var list = await IncusAsync("config", "trust", "list", "--format", "csv", "--columns", "nf");
        return [.. list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(','))
            .Where(fields => fields.Length >= 2 && fields[0].StartsWith(TrustPrefix, StringComparison.Ordinal))
            .Select(fields => (fields[0], fields[1]))];
    }

    private static async Task<string> IncusAsync(params string[] arguments)
    {
        var result = await CliWrap.Cli.Wrap("incus").WithArguments(arguments).WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(CancellationToken.None);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"incus {string.Join(' ', arguments)} failed: {result.StandardError.Trim()}");
        return result.StandardOutput;
    }
}
