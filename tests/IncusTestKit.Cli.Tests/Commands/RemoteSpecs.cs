using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>The built tool against the test daemon as a remote over HTTPS, named in an incus client config (INCUS_CONF).</summary>
public sealed class RemoteSpecs(LoopbackTlsServer server) : IClassFixture<LoopbackTlsServer>
{
    private const string Remote = "isbt-loop";

    [Fact]
    public async Task A_sandbox_lives_its_whole_life_on_a_remote_named_with_remote()
    {
        await IncusDaemon.RequireAsync();
        var config = WriteConfig("conf", LoopbackTlsServer.ServerCertificatePath);
        var name = TestNames.New("remote");
        try
        {
            var created = await RunAsync(config, "--remote", Remote, "create", name, "--image", TestImages.Busybox, "--json");
            created.ExitCode.ShouldBe(0, created.StandardError);

            var hostname = await RunAsync(config, "--remote", Remote, "exec", name, "--", "hostname");
            hostname.StandardOutput.Trim().ShouldBe(name);
            var local = Path.Combine(config, "pushed.txt");
            await File.WriteAllTextAsync(local, "over tls", TestContext.Current.CancellationToken);
            var pushed = await RunAsync(config, "--remote", Remote, "push", name, local, "/tmp/f");
            pushed.ExitCode.ShouldBe(0, pushed.StandardError);
            (await RunAsync(config, "--remote", Remote, "cat", name, "/tmp/f")).StandardOutput.ShouldBe("over tls");
            (await RunAsync(config, "--remote", Remote, "list", "--prefix", name)).StandardOutput.ShouldContain(name);

            (await RunAsync(config, "--remote", Remote, "destroy", name)).ExitCode.ShouldBe(0);
            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(1);
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task INCUS_REMOTE_chooses_the_remote_when_no_remote_option_is_given()
    {
        await IncusDaemon.RequireAsync();
        var config = WriteConfig("conf-env", LoopbackTlsServer.ServerCertificatePath);

        var result = await IsbTool.Command("doctor").WithEnvironmentVariables(e => e.Set("INCUS_CONF", config).Set("INCUS_REMOTE", Remote))
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.StandardOutput + result.StandardError);
        result.StandardOutput.ShouldContain(server.Address);
    }

    [Fact]
    public async Task A_wrong_pinned_server_certificate_is_one_error_with_what_to_do_and_nothing_is_created()
    {
        await IncusDaemon.RequireAsync();
        var (otherCertificate, _) = server.NewCertificate("not-the-server", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var config = WriteConfig("conf-wrong", otherCertificate);
        var name = TestNames.New("wrongcert");
        try
        {
            var result = await RunAsync(config, "--remote", Remote, "create", name, "--image", TestImages.Busybox);

            result.ExitCode.ShouldBe(1);
            result.StandardError.ShouldStartWith("error: ");
            result.StandardError.ShouldContain("not the pinned");
            result.StandardError.ShouldContain($"replace {config}/servercerts/{Remote}.crt");
            result.StandardError.ShouldNotContain("   at ");
            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(1);
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task A_host_folder_mount_on_a_remote_is_refused_because_the_folder_is_not_on_the_daemons_machine()
    {
        await IncusDaemon.RequireAsync();
        var config = WriteConfig("conf-mount", LoopbackTlsServer.ServerCertificatePath);
        var name = TestNames.New("remotemount");
        try
        {
            var result = await RunAsync(config, "--remote", Remote, "create", name, "--image", TestImages.Busybox, "--mount", $"{config}:/work");

            result.ExitCode.ShouldBe(1);
            result.StandardError.ShouldContain("daemon's machine");
            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(1);
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }

    // An incus client config folder: the remote's address, the trusted client certificate, and the pinned server certificate.
    private string WriteConfig(string folderName, string serverCertificate)
    {
        var folder = server.FileNamed(folderName);
        Directory.CreateDirectory(Path.Combine(folder, "servercerts"));
        File.Copy(server.Trusted.ClientCertificatePath!, Path.Combine(folder, "client.crt"), overwrite: true);
        File.Copy(server.Trusted.ClientKeyPath!, Path.Combine(folder, "client.key"), overwrite: true);
        File.Copy(serverCertificate, Path.Combine(folder, "servercerts", Remote + ".crt"), overwrite: true);
        File.WriteAllText(Path.Combine(folder, "config.yml"), $"remotes:\n  {Remote}:\n    addr: {server.Address}\n    protocol: incus\n");
        return folder;
    }

    private static Command Tool(string config, params string[] arguments) =>
        IsbTool.Command(arguments).WithEnvironmentVariables(e => e.Set("INCUS_CONF", config));

    private static Task<BufferedCommandResult> RunAsync(string config, params string[] arguments) =>
        Tool(config, arguments).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
}
