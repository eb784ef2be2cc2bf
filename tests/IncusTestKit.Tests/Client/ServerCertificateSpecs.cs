using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Client;

/// <summary>
/// Server certificates the test daemon cannot present (out of their dates) or pinned files it has nothing to do with,
/// served by a TLS server of the test's own on 127.0.0.1 and laid out as an incus client config folder.
/// </summary>
public sealed class ServerCertificateSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_expired_pinned_server_certificate_is_refused_with_its_date_and_how_to_renew_and_re_pin_it()
    {
        var expiredOn = DateTimeOffset.UtcNow.AddDays(-1);
        await using var server = new CertificateServer(DateTimeOffset.UtcNow.AddDays(-30), expiredOn);
        var pinned = Pin(server, server.CertificatePath);
        await using var client = ClientOf(server, pinned);

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.ServerCertificateRejected);
        error.Message.ShouldContain($"expired on {expiredOn.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
        error.Message.ShouldContain("Renew the certificate on the server");
        error.Message.ShouldContain($"replace {pinned} with the new server.crt");
    }

    [Fact]
    public async Task A_pinned_server_certificate_that_is_not_yet_valid_is_refused_with_its_start_and_the_clocks_to_check()
    {
        var validFrom = DateTimeOffset.UtcNow.AddDays(2);
        await using var server = new CertificateServer(validFrom, validFrom.AddDays(30));
        await using var client = ClientOf(server, Pin(server, server.CertificatePath));

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.ServerCertificateRejected);
        error.Message.ShouldContain($"is not valid before {validFrom.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
        error.Message.ShouldContain("Check the clocks");
    }

    [Fact]
    public async Task Without_a_pin_an_expired_server_certificate_is_refused_as_expired_as_well_as_untrusted()
    {
        await using var server = new CertificateServer(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await using var client = ClientOf(server, pinned: null);

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.ServerCertificateRejected);
        error.Message.ShouldContain("expired on");
        error.Message.ShouldContain("the system's CAs do not trust it");
    }

    [Fact]
    public async Task An_unreadable_pinned_certificate_file_is_PinnedCertificateUnreadable_with_its_path_not_a_client_certificate_problem()
    {
        await using var server = new CertificateServer(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var pinned = Path.Combine(server.Folder, "conf", "servercerts", "isbt-garbled.crt");
        Directory.CreateDirectory(Path.GetDirectoryName(pinned)!);
        await File.WriteAllTextAsync(pinned, "not a certificate", Ct);
        await using var client = ClientOf(server, pinned);

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.PinnedCertificateUnreadable);
        error.Message.ShouldContain($"the pinned server certificate {pinned} cannot be read");
        error.Message.ShouldNotContain("ClientCertificatePath");
    }

    [Fact]
    public async Task The_error_names_the_endpoint_that_was_tried()
    {
        await using var server = new CertificateServer(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await using var client = ClientOf(server, Pin(server, server.CertificatePath));

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Endpoint.ShouldBe(client.Endpoint);
        error.Endpoint.Address!.ToString().ShouldBe(server.Address + "/");
        error.Endpoint.SocketPath.ShouldBeNull();
    }

    // As 'incus remote add' leaves it: the server's certificate under servercerts/, the client's beside config.yml.
    private static string Pin(CertificateServer server, string certificate)
    {
        var pinned = Path.Combine(server.Folder, "conf", "servercerts", "isbt-stale.crt");
        Directory.CreateDirectory(Path.GetDirectoryName(pinned)!);
        File.Copy(certificate, pinned, overwrite: true);
        return pinned;
    }

    private static SandboxClient ClientOf(CertificateServer server, string? pinned)
    {
        var folder = Directory.CreateDirectory(Path.Combine(server.Folder, "conf")).FullName;
        using var certificate = CertificateServer.NewCertificate("client", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        CertificateServer.WritePem(certificate, Path.Combine(folder, "client.crt"), Path.Combine(folder, "client.key"));
        return new SandboxClient(new SandboxClientOptions
        {
            Address = server.Address,
            ClientCertificatePath = Path.Combine(folder, "client.crt"),
            ClientKeyPath = Path.Combine(folder, "client.key"),
            ServerCertificatePath = pinned,
        });
    }
}
