using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IncusTestKit.Configuration;
using IncusTestKit.Errors;

namespace IncusTestKit.Client;

/// <summary>Why trust with a remote server failed (see <see cref="IncusTrustException"/>): what is wrong and what to do.</summary>
internal sealed record TlsProblem(IncusUnavailableReason Reason, string Why, string Fix);

/// <summary>
/// The certificates of an HTTPS endpoint: the client's own (certificate and key) and the server's pinned one. The
/// server is always verified: against the pinned certificate when there is one, else against the system's CAs; and
/// in both cases it must be within its dates.
/// </summary>
internal sealed class TlsIdentity
{
    private readonly X509Certificate2? _client;
    private readonly X509Certificate2? _pinned;
    private readonly IncusEndpoint _endpoint;

    private TlsIdentity(IncusEndpoint endpoint, X509Certificate2? client, X509Certificate2? pinned, TlsProblem? problem)
    {
        _endpoint = endpoint;
        _client = client;
        _pinned = pinned;
        Problem = problem;
    }

    /// <summary>Why the certificates cannot be used (the pinned one unreadable; the client's missing, unreadable or out of
    /// its dates); null when they can. Reported on the first call rather than by the constructor, like every other
    /// reason the daemon cannot be reached.</summary>
    public TlsProblem? Problem { get; }

    /// <summary>Why the server's certificate was last refused, for the error that follows the failed handshake.</summary>
    public TlsProblem? LastRejection { get; private set; }

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
                return new(endpoint, null, null, new(IncusUnavailableReason.PinnedCertificateUnreadable,
                    $"the pinned server certificate {serverPath} cannot be read ({e.Message})",
                    $"Put the server's certificate there (PEM; it is /var/lib/incus/server.crt on an Incus server){Repin(endpoint)}."));
            }
        }
        const string clientFix = "Give a valid certificate and key (ClientCertificatePath, ClientKeyPath), or for a remote of the incus CLI renew them " +
            "in its config folder (remove client.crt and client.key; the next incus command creates new ones) and have the server trust the new one: " +
            "incus config trust add-certificate client.crt (on the server).";
        X509Certificate2 client;
        try
        {
            client = X509Certificate2.CreateFromPemFile(endpoint.ClientCertificatePath!, endpoint.ClientKeyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            return new(endpoint, null, pinned, new(IncusUnavailableReason.ClientCertificateInvalid,
                $"the client certificate {endpoint.ClientCertificatePath} with key {endpoint.ClientKeyPath} cannot be used ({e.Message})", clientFix));
        }
        var dates = OutOfDates(client);
        return new(endpoint, client, pinned,
            dates is null ? null : new(IncusUnavailableReason.ClientCertificateInvalid, $"the client certificate {endpoint.ClientCertificatePath} {dates}", clientFix));
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
        LastRejection = Rejection(certificate is null ? null : certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), chain, errors);
        return LastRejection is null;
    }

    private TlsProblem? Rejection(X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
            return Rejected("it presented no certificate", "Check that the address is the Incus server's HTTPS address (core.https_address on the server).");
        if (_pinned is not null)
        {
            // Pinned as the incus CLI pins it: the very certificate accepted at 'incus remote add', whatever its name or
            // issuer; and only within its dates, which the CLI's Go TLS checks on the pinned certificate too.
            if (!certificate.RawData.AsSpan().SequenceEqual(_pinned.RawData))
            {
                return Rejected($"it presented the certificate {Fingerprint(certificate)}, not the pinned {Fingerprint(_pinned)} ({_endpoint.ServerCertificatePath})",
                    "If the server was reinstalled or its certificate renewed, check the new fingerprint on the server ('incus info' there) and replace " +
                    $"{_endpoint.ServerCertificatePath} with its server.crt{Repin(_endpoint)}; otherwise you may be talking to another machine.");
            }
            return OutOfDates(certificate) is { } dates
                ? Rejected($"its certificate {Fingerprint(certificate)}, the pinned one ({_endpoint.ServerCertificatePath}), {dates}", RenewFix(certificate))
                : null;
        }
        if (errors == SslPolicyErrors.None)
            return null;
        // The chain says which certificate is out of its dates: the server's own, or a CA's above it.
        var outOfDates = chain?.ChainElements.FirstOrDefault(e => e.ChainElementStatus.Any(s => s.Status.HasFlag(X509ChainStatusFlags.NotTimeValid)))?.Certificate;
        var untrusted = chain?.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NotTimeValid).Select(s => s.Status.ToString()).ToList() is { Count: > 0 } other
            ? string.Join(", ", other) : null;
        if (outOfDates is not null && OutOfDates(outOfDates) is { } when)
        {
            var whose = outOfDates.RawData.AsSpan().SequenceEqual(certificate.RawData) ? $"its certificate {Fingerprint(certificate)}" : $"the certificate of {outOfDates.Subject} in its chain";
            return Rejected($"{whose} {when}" + (untrusted is null ? "" : $", and the system's CAs do not trust it ({untrusted})"),
                RenewFix(outOfDates) + (untrusted is null ? "" : " Then pin the new one (ServerCertificatePath, or 'incus remote add', which stores it under " +
                    "servercerts/), or have it issued by a CA this system trusts."));
        }
        return Rejected($"the system's CAs do not trust its certificate {Fingerprint(certificate)} ({errors}{(untrusted is null ? "" : ": " + untrusted)}) and no server certificate is pinned",
            "Pin the server's certificate (ServerCertificatePath, or 'incus remote add' which stores it under servercerts/), or give the server a " +
            "certificate your system's CAs trust.");
    }

    private static TlsProblem Rejected(string why, string fix) => new(IncusUnavailableReason.ServerCertificateRejected, why, fix);

    private string RenewFix(X509Certificate2 certificate) =>
        (DateTime.Now < certificate.NotBefore ? "Check the clocks of this machine and of the server; if they are right, renew" : "Renew") +
        " the certificate on the server (an Incus server makes a new one when it starts without server.crt and server.key in /var/lib/incus; " +
        "a cluster: incus cluster update-certificate)" +
        (_endpoint.ServerCertificatePath is { } pinned ? $", then re-pin it: replace {pinned} with the new server.crt{Repin(_endpoint)}." : ".");

    // How the incus CLI pins a remote's certificate again, when the endpoint is one of its remotes.
    private static string Repin(IncusEndpoint endpoint) =>
        endpoint.Remote is { } remote ? $", or 'incus remote remove {remote}' and 'incus remote add {remote} {endpoint.Address!.GetLeftPart(UriPartial.Authority)}' again" : "";

    private static string? OutOfDates(X509Certificate2 certificate)
    {
        var now = DateTime.Now;
        return now > certificate.NotAfter ? $"expired on {certificate.NotAfter.ToUniversalTime():u}"
            : now < certificate.NotBefore ? $"is not valid before {certificate.NotBefore.ToUniversalTime():u}"
            : null;
    }

    public static string Fingerprint(X509Certificate certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));
}
