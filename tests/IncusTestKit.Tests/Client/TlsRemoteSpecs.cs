using System.Text;
using IncusTestKit.Configuration;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Client;

/// <summary>The test daemon reached as a remote server over HTTPS on 127.0.0.1, with a client certificate made here.</summary>
public sealed class TlsRemoteSpecs(LoopbackTlsServer server) : IClassFixture<LoopbackTlsServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SandboxClient ClientFor(IncusEndpoint endpoint) => new(new SandboxClientOptions
    {
        Address = endpoint.Address!.ToString(),
        ClientCertificatePath = endpoint.ClientCertificatePath,
        ClientKeyPath = endpoint.ClientKeyPath,
        ServerCertificatePath = endpoint.ServerCertificatePath,
    });

    [Fact]
    public async Task Over_TLS_commands_go_through_the_exec_agent_as_over_the_socket()
    {
        await using var client = ClientFor(server.Trusted);
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Debian, Name = TestNames.New("tls-agent"), ExecChannel = ExecChannel.Agent }, Ct);

        var result = await sandbox.RunCommandAsync(["sh", "-c", "cat; echo err >&2; exit 3"], new CommandOptions { Stdin = "in" }, Ct);
        var timedOut = await Should.ThrowAsync<SandboxTimeoutException>(() => sandbox.RunCommandAsync("sleep 60", new CommandOptions { Timeout = TimeSpan.FromSeconds(1) }, Ct));

        (await sandbox.GetExecChannelAsync(Ct)).ShouldBe(ExecChannel.Agent);
        (result.ExitCode, result.Stdout, result.Stderr).ShouldBe((3, "in", "err\n"));
        timedOut.Message.ShouldContain("in its own cgroup");
    }

    [Fact]
    public async Task Over_TLS_a_sandbox_is_created_runs_commands_and_a_terminal_moves_files_takes_a_snapshot_and_is_destroyed()
    {
        await using var client = ClientFor(server.Trusted);
        client.Endpoint.IsRemote.ShouldBeTrue();
        var name = TestNames.New("tls");

        await using (var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, Ct))
        {
            var streamed = new StringBuilder();
            var result = await sandbox.RunCommandAsync(["sh", "-c", "echo out; echo err >&2; exit 3"], new CommandOptions
            {
                OnOutput = (chunk, _) =>
                {
                    lock (streamed)
                        streamed.Append(Encoding.UTF8.GetString(chunk.Data.Span));
                    return ValueTask.CompletedTask;
                },
            }, Ct);
            (result.ExitCode, result.Stdout, result.Stderr).ShouldBe((3, "out\n", "err\n"));
            streamed.ToString().ShouldContain("out");

            await using (var terminal = await sandbox.StartTerminalAsync(["sh", "-c", "test -t 0 && echo is-a-tty; read line; echo got-$line"], cancellationToken: Ct))
            {
                await terminal.WriteInputAsync(Encoding.UTF8.GetBytes("hello\n"), Ct);
                var seen = await ReadUntilAsync(terminal, "got-hello");
                seen.ShouldContain("is-a-tty");
                seen.ShouldContain("got-hello");
                await ReadUntilAsync(terminal, "\0never printed"); // to the end: the daemon ends the program's operation once its output is read
                (await terminal.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct)).ShouldBe(0);
            }

            var local = server.FileNamed("pushed.txt");
            await File.WriteAllTextAsync(local, "over tls", Ct);
            await sandbox.Files.PushAsync(local, "/tmp/pushed.txt", Ct);
            await sandbox.Files.PullAsync("/tmp/pushed.txt", server.FileNamed("pulled.txt"), cancellationToken: Ct);
            (await File.ReadAllTextAsync(server.FileNamed("pulled.txt"), Ct)).ShouldBe("over tls");

            var snapshot = await sandbox.CreateSnapshotAsync("tls", Ct);
            (await sandbox.ListSnapshotsAsync(Ct)).Select(s => s.Name).ShouldContain(snapshot.Name);
        }

        // Disposing the sandbox destroyed it over the same endpoint.
        await using var unix = new SandboxClient();
        (await unix.ListAsync(cancellationToken: Ct)).Select(s => s.Name).ShouldNotContain(name);
    }

    [Fact]
    public async Task A_client_the_server_does_not_trust_gets_ClientNotTrusted_with_the_command_that_trusts_it()
    {
        var (certificate, key) = server.NewCertificate("untrusted", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await using var client = ClientFor(IncusEndpoint.Https(server.Address, certificate, key, LoopbackTlsServer.ServerCertificatePath));

        var info = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));
        var create = await Should.ThrowAsync<IncusTrustException>(() => client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("tls-untrusted") }, Ct));

        info.Reason.ShouldBe(IncusUnavailableReason.ClientNotTrusted);
        create.Reason.ShouldBe(IncusUnavailableReason.ClientNotTrusted);
        create.Message.ShouldContain("incus config trust add-certificate");
    }

    [Fact]
    public async Task The_health_check_of_a_remote_reports_its_address_and_certificates_instead_of_a_socket()
    {
        var (certificate, key) = server.NewCertificate("health-untrusted", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await using var trusted = ClientFor(server.Trusted);
        await using var untrusted = ClientFor(IncusEndpoint.Https(server.Address, certificate, key, LoopbackTlsServer.ServerCertificatePath));

        var good = await trusted.CheckHealthAsync(Ct);
        var bad = await untrusted.CheckHealthAsync(Ct);

        good.ShouldContain(c => c.Name == "server" && c.Status == CheckStatus.Ok && c.Detail.Contains(server.Address));
        good.ShouldContain(c => c.Name == "certificates" && c.Status == CheckStatus.Ok);
        good.ShouldNotContain(c => c.Name == "socket");
        bad.ShouldContain(c => c.Name == "certificates" && c.Status == CheckStatus.Failed && c.Fix!.Contains("trust add-certificate"));
    }

    [Fact]
    public async Task A_server_that_is_not_the_pinned_one_is_refused_with_both_fingerprints()
    {
        var (other, _) = server.NewCertificate("other-server", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await using var client = ClientFor(IncusEndpoint.Https(server.Address, server.Trusted.ClientCertificatePath!, server.Trusted.ClientKeyPath!, other));

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.ServerCertificateRejected);
        error.Message.ShouldContain("not the pinned");
        error.Message.ShouldContain(other);
    }

    [Fact]
    public async Task A_server_not_pinned_and_not_trusted_by_the_system_CAs_is_refused()
    {
        await using var client = ClientFor(IncusEndpoint.Https(server.Address, server.Trusted.ClientCertificatePath!, server.Trusted.ClientKeyPath!, null));

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.ServerCertificateRejected);
        error.Message.ShouldContain("system's CAs");
    }

    [Fact]
    public async Task An_expired_client_certificate_is_refused_before_it_is_sent()
    {
        var (certificate, key) = server.NewCertificate("expired", DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1));
        await using var client = ClientFor(IncusEndpoint.Https(server.Address, certificate, key, LoopbackTlsServer.ServerCertificatePath));

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.ClientCertificateInvalid);
        error.Message.ShouldContain("expired");
    }

    [Fact]
    public async Task A_client_certificate_that_is_not_yet_valid_is_refused_before_it_is_sent_with_its_start()
    {
        var validFrom = DateTimeOffset.UtcNow.AddDays(1);
        var (certificate, key) = server.NewCertificate("not-yet-valid", validFrom, validFrom.AddDays(1));
        await using var client = ClientFor(IncusEndpoint.Https(server.Address, certificate, key, LoopbackTlsServer.ServerCertificatePath));

        var error = await Should.ThrowAsync<IncusTrustException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.ClientCertificateInvalid);
        error.Message.ShouldContain($"the client certificate {certificate} is not valid before {validFrom.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
    }

    [Fact]
    public async Task An_address_where_nothing_listens_is_IncusUnavailable()
    {
        await using var client = ClientFor(IncusEndpoint.Https("https://127.0.0.1:1", server.Trusted.ClientCertificatePath!, server.Trusted.ClientKeyPath!, LoopbackTlsServer.ServerCertificatePath));

        var error = await Should.ThrowAsync<IncusUnavailableException>(() => client.GetServerInfoAsync(Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.NotAnswering);
        error.Message.ShouldContain("https://127.0.0.1:1");
    }

    [Fact]
    public async Task A_host_folder_mount_on_a_remote_server_is_refused_because_the_folder_would_be_the_servers()
    {
        await using var client = ClientFor(server.Trusted);

        var error = await Should.ThrowAsync<MountException>(() => client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = TestNames.New("tls-mount"),
            Mounts = [new MountOptions(Path.GetTempPath(), "/work")],
        }, Ct));

        error.Message.ShouldContain("daemon's machine");
    }

    [Fact]
    public async Task A_remote_of_the_incus_client_config_is_reached_with_its_client_certificate_and_pinned_server_certificate()
    {
        // INCUS_CONF is read by every client this process creates; the file names no default remote, so the others stay local.
        var folder = server.ClientConfig("isbt-loop");
        var previous = Environment.GetEnvironmentVariable("INCUS_CONF");
        Environment.SetEnvironmentVariable("INCUS_CONF", folder);
        SandboxClient client;
        try
        {
            client = new SandboxClient(new SandboxClientOptions { Remote = "isbt-loop" });
        }
        finally
        {
            Environment.SetEnvironmentVariable("INCUS_CONF", previous);
        }
        await using (client)
        {
            client.Endpoint.ToString().ShouldBe($"{server.Address} (remote 'isbt-loop')");
            (await client.GetServerInfoAsync(Ct)).ApiVersion.ShouldBe("1.0");
        }
    }

    private static async Task<string> ReadUntilAsync(TerminalSession session, string expected)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        var output = new StringBuilder();
        var buffer = new byte[4096];
        while (!output.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var read = await session.ReadOutputAsync(buffer, deadline.Token);
            if (read == 0)
                break;
            output.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return output.ToString();
    }
}
