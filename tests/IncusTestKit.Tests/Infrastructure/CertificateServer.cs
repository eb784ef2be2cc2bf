using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// A TLS server on 127.0.0.1 that presents a certificate made for it, for what the real daemon cannot present (an
/// expired certificate, one that is not the daemon's). It only does TLS handshakes: a client that accepts its
/// certificate gets its connection closed, never an answer. Its folder (removed on dispose) holds the PEM files.
/// </summary>
public sealed class CertificateServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly X509Certificate2 _certificate;
    private readonly Task _accepting;

    /// <summary>Starts serving a fresh self-signed certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
    public CertificateServer(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        Folder = Directory.CreateTempSubdirectory("isbt-certs-").FullName;
        _certificate = NewCertificate("server", notBefore, notAfter, server: true);
        CertificatePath = WritePem(_certificate, Path.Combine(Folder, "server.crt"), null);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Its address, https://127.0.0.1:port.</summary>
    public string Address => $"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The PEM certificate it presents.</summary>
    public string CertificatePath { get; }

    /// <summary>A temporary folder for the test's files.</summary>
    public string Folder { get; }

    /// <summary>A fresh self-signed certificate (with its key) for a client or a server.</summary>
    public static X509Certificate2 NewCertificate(string name, DateTimeOffset notBefore, DateTimeOffset notAfter, bool server = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=isbt-{name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], critical: false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>Writes the certificate (and its key, when <paramref name="keyPath"/> is given) as PEM; returns the certificate's path.</summary>
    public static string WritePem(X509Certificate2 certificate, string certificatePath, string? keyPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(certificatePath)!);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        if (keyPath is not null)
            File.WriteAllText(keyPath, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return certificatePath;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var connection = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = HandshakeAsync(connection);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task HandshakeAsync(TcpClient connection)
    {
        using (connection)
        using (var tls = new SslStream(connection.GetStream()))
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
        {
            bound.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, bound.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                // The client refused the certificate, which is what the tests want to see it do.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
        _certificate.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
