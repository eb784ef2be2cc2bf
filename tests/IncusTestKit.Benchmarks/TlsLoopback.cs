using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Configuration;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Benchmarks;

/// <summary>
/// The local daemon as a remote over HTTPS on 127.0.0.1, to time the TLS transport next to the Unix socket: a client
/// certificate made here and trusted while the benchmark runs. Leaves the daemon as found (the trust entry removed,
/// <c>core.https_address</c> unset again when it was unset).
/// </summary>
internal sealed class TlsLoopback : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("isbbench-tls-").FullName;
    private bool _setAddress;
    private string? _fingerprint;

    private TlsLoopback()
    {
    }

    public SandboxClient Client { get; private set; } = null!;

    public static async Task<TlsLoopback> StartAsync()
    {
        var tls = new TlsLoopback();
        try
        {
            var address = (await Incus("config", "get", "core.https_address")).Trim();
            if (address.Length == 0)
            {
                await Incus("config", "set", "core.https_address", "127.0.0.1:8443");
                tls._setAddress = true;
                address = "127.0.0.1:8443";
            }
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var certificate = new CertificateRequest("CN=isbbench", key, HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            var certificatePath = Path.Combine(tls._folder, "client.crt");
            var keyPath = Path.Combine(tls._folder, "client.key");
            await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
            await Incus("config", "trust", "add-certificate", certificatePath, "--name", Path.GetFileName(tls._folder));
            tls._fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
            tls.Client = new SandboxClient(new SandboxClientOptions
            {
                Address = "https://127.0.0.1:" + address[(address.LastIndexOf(':') + 1)..],
                ClientCertificatePath = certificatePath,
                ClientKeyPath = keyPath,
                ServerCertificatePath = "/var/lib/incus/server.crt",
            });
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Client is not null)
                await Client.DisposeAsync();
            if (_fingerprint is not null)
                await Incus("config", "trust", "remove", _fingerprint);
            if (_setAddress)
                await Incus("config", "unset", "core.https_address");
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static async Task<string> Incus(params string[] arguments) =>
        (await Cli.Wrap("incus").WithArguments(arguments).ExecuteBufferedAsync()).StandardOutput;
}
