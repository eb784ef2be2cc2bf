using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IncusTestKit.Configuration;

namespace IncusTestKit.Client;

/// <summary>
/// The certificates of an HTTPS endpoint: the client's own (certificate and key) and the server's pinned one. The
/// server is always verified: against the pinned certificate when there is one, else against the system's CAs.
/// </summary>
internal sealed class TlsIdentity
{
    private readonly X509Certificate2? _client;
    private readonly X509Certificate2? _pinned;
    private readonly IncusEndpoint _endpoint;

    private TlsIdentity(IncusEndpoint endpoint, X509Certificate2? client, X509Certificate2? pinned, string? problem)
    {
        _endpoint = endpoint;
        _client = client;
        _pinned = pinned;
        ClientProblem = problem;
    }

    /// <summary>Why the client certificate cannot be used (missing, unreadable, expired); null when it can. Reported
    /// on the first call rather than by the constructor, like every other reason the daemon cannot be reached.</summary>
    public string? ClientProblem { get; }

    /// <summary>Why the server's certificate was last refused, for the error that follows the failed handshake.</summary>
    public string? LastRejection { get; private set; }

    public static TlsIdentity Load(IncusEndpoint endpoint)
    {
        X509Certificate2? pinned = null;
        if (endpoint.ServerCertificatePath is { } serverPath)
        {
            try
            {
                pinned = X509CertificateLoader.LoadCertificateFromFile(serverPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                return new(endpoint, null, null, $"the pinned server certificate {serverPath} cannot be read ({e.Message})");
            }
        }
        X509Certificate2 client;
        try
        {
            client = X509Certificate2.CreateFromPemFile(endpoint.ClientCertificatePath!, endpoint.ClientKeyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            return new(endpoint, null, pinned, $"the client certificate {endpoint.ClientCertificatePath} with key {endpoint.ClientKeyPath} cannot be used ({e.Message})");
        }
        var now = DateTime.Now;
        var problem = now > client.NotAfter ? $"the client certificate {endpoint.ClientCertificatePath} expired on {client.NotAfter.ToUniversalTime():u}"
            : now < client.NotBefore ? $"the client certificate {endpoint.ClientCertificatePath} is not valid before {client.NotBefore.ToUniversalTime():u}"
            : null;
        return new(endpoint, client, pinned, problem);
    }

    /// <summary>TLS options for one handler (each handler gets its own instance).</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        ClientCertificates = _client is null ? [] : [_client],
        // Incus asks for a client certificate without naming CAs: always offer ours.
        LocalCertificateSelectionCallback = (_, _, _, _, _) => _client!,
        RemoteCertificateValidationCallback = Verify,
    };

    private bool Verify(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            LastRejection = "it presented no certificate";
            return false;
        }
        if (_pinned is not null)
        {
            // Pinned as the incus CLI pins it: the very certificate accepted at 'incus remote add', whatever its name or issuer.
            if (certificate.GetRawCertData().AsSpan().SequenceEqual(_pinned.RawData))
                return true;
            LastRejection = $"it presented the certificate {Fingerprint(certificate)}, not the pinned {Fingerprint(_pinned)} ({_endpoint.ServerCertificatePath})";
            return false;
        }
        if (errors == SslPolicyErrors.None)
            return true;
        LastRejection = $"the system's CAs do not trust its certificate {Fingerprint(certificate)} ({errors}) and no server certificate is pinned";
        return false;
    }

    public static string Fingerprint(X509Certificate certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));
}
