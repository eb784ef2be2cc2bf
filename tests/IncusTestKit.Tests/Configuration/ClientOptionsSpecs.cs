using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using Shouldly;

namespace IncusTestKit.Tests.Configuration;

public sealed class ClientOptionsSpecs
{
    private static readonly IncusRemoteConfig BuiltIn = new([], "local", "/conf");

    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Defaults_apply_when_nothing_is_set()
    {
        var resolved = ResolvedClientOptions.Resolve(new SandboxClientOptions(), Env(), BuiltIn);

        resolved.Project.ShouldBe("default");
        resolved.Remote.ShouldBe("local");
        resolved.DefaultImage.ShouldBe("isb/debian12");
        resolved.DefaultType.ShouldBe(SandboxType.Container);
        resolved.Endpoint.SocketPath.ShouldEndWith("unix.socket");
    }

    [Fact]
    public void The_environment_wins_over_defaults()
    {
        var resolved = ResolvedClientOptions.Resolve(new SandboxClientOptions(),
            Env(("INCUS_SOCKET", "/env/socket"), ("INCUS_PROJECT", "envproject"), ("ISB_IMAGE", "isb/busybox")), BuiltIn);

        resolved.Endpoint.SocketPath.ShouldBe("/env/socket");
        resolved.Project.ShouldBe("envproject");
        resolved.DefaultImage.ShouldBe("isb/busybox");
    }

    [Fact]
    public void Code_wins_over_the_environment()
    {
        var resolved = ResolvedClientOptions.Resolve(
            new SandboxClientOptions { SocketPath = "/code/socket", Project = "codeproject", DefaultImage = "x", DefaultType = SandboxType.VirtualMachine },
            Env(("INCUS_SOCKET", "/env/socket"), ("INCUS_PROJECT", "envproject"), ("ISB_IMAGE", "isb/busybox")), BuiltIn);

        resolved.Endpoint.SocketPath.ShouldBe("/code/socket");
        resolved.Project.ShouldBe("codeproject");
        resolved.DefaultImage.ShouldBe("x");
        resolved.DefaultType.ShouldBe(SandboxType.VirtualMachine);
    }

    [Fact]
    public void INCUS_DIR_locates_the_socket() =>
        ResolvedClientOptions.Resolve(new SandboxClientOptions(), Env(("INCUS_DIR", "/srv/incus")), BuiltIn).Endpoint.SocketPath.ShouldBe("/srv/incus/unix.socket");

    [Fact]
    public void A_remote_on_a_unix_socket_gives_its_socket_and_project()
    {
        var remotes = new IncusRemoteConfig([new IncusRemote("other", "unix:///run/other.socket", "incus", false, "team")], "local", "/conf");

        var resolved = ResolvedClientOptions.Resolve(new SandboxClientOptions(), Env(("INCUS_REMOTE", "other")), remotes);

        resolved.Endpoint.SocketPath.ShouldBe("/run/other.socket");
        resolved.Project.ShouldBe("team");
    }

    [Fact]
    public void An_https_remote_uses_the_client_certificate_of_the_config_folder_and_pins_its_server_certificate()
    {
        var folder = Directory.CreateTempSubdirectory("isbt-conf-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "servercerts"));
            File.WriteAllText(Path.Combine(folder, "servercerts", "prod.crt"), "");
            var remotes = new IncusRemoteConfig([new IncusRemote("prod", "https://10.0.0.1", "incus", false, "team")], "local", folder);

            var endpoint = ResolvedClientOptions.Resolve(new SandboxClientOptions(), Env(("INCUS_REMOTE", "prod")), remotes).Endpoint;

            endpoint.IsRemote.ShouldBeTrue();
            endpoint.Address.ShouldBe(new Uri("https://10.0.0.1:8443"));
            endpoint.ClientCertificatePath.ShouldBe(Path.Combine(folder, "client.crt"));
            endpoint.ClientKeyPath.ShouldBe(Path.Combine(folder, "client.key"));
            endpoint.ServerCertificatePath.ShouldBe(Path.Combine(folder, "servercerts", "prod.crt"));
            endpoint.ToString().ShouldBe("https://10.0.0.1:8443 (remote 'prod')");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_https_remote_without_a_pinned_certificate_is_verified_by_the_system_CAs()
    {
        var remotes = new IncusRemoteConfig([new IncusRemote("prod", "https://incus.example:9443", "incus", false, null)], "local", "/nonexistent/isbt");

        var endpoint = ResolvedClientOptions.Resolve(new SandboxClientOptions { Remote = "prod" }, Env(), remotes).Endpoint;

        endpoint.Address!.Port.ShouldBe(9443);
        endpoint.ServerCertificatePath.ShouldBeNull();
    }

    [Fact]
    public void An_image_server_remote_is_refused_with_the_reason()
    {
        var error = Should.Throw<IncusTestKitException>(() => ResolvedClientOptions.Resolve(new SandboxClientOptions { Remote = "images" }, Env(), BuiltIn));

        error.Code.ShouldBe(SandboxErrorCode.InvalidConfiguration);
        error.Message.ShouldContain("image server");
    }

    [Fact]
    public void An_address_in_code_wins_over_the_socket_and_the_remote()
    {
        var resolved = ResolvedClientOptions.Resolve(
            new SandboxClientOptions { Address = "https://[::1]:8443", SocketPath = "/code/socket", ClientCertificatePath = "/c.crt", ClientKeyPath = "/c.key", ServerCertificatePath = "/s.crt" },
            Env(("INCUS_REMOTE", "nope")), BuiltIn);

        resolved.Endpoint.Address.ShouldBe(new Uri("https://[::1]:8443"));
        resolved.Endpoint.SocketPath.ShouldBeNull();
        (resolved.Endpoint.ClientCertificatePath, resolved.Endpoint.ClientKeyPath, resolved.Endpoint.ServerCertificatePath).ShouldBe(("/c.crt", "/c.key", "/s.crt"));
    }

    [Fact]
    public void An_endpoint_in_code_wins_over_every_other_setting_and_takes_no_other_remotes_project()
    {
        var endpoint = IncusEndpoint.Https("https://10.0.0.9", "/c.crt", "/c.key", "/s.crt");
        var resolved = ResolvedClientOptions.Resolve(
            new SandboxClientOptions { Endpoint = endpoint, Address = "https://[::1]:8443", SocketPath = "/code/socket", Remote = "local" },
            Env(("INCUS_REMOTE", "nope"), ("INCUS_SOCKET", "/env/socket")), BuiltIn);

        resolved.Endpoint.ShouldBe(endpoint);
        resolved.Project.ShouldBe("default");
        ResolvedClientOptions.Resolve(new SandboxClientOptions { Endpoint = IncusEndpoint.Unix("/other.socket") }, Env(("INCUS_PROJECT", "p1")), BuiltIn)
            .ShouldSatisfyAllConditions(r => r.Endpoint.SocketPath.ShouldBe("/other.socket"), r => r.Project.ShouldBe("p1"));
    }

    [Fact]
    public void An_address_that_is_not_https_is_refused() =>
        Should.Throw<ArgumentException>(() => ResolvedClientOptions.Resolve(new SandboxClientOptions { Address = "http://10.0.0.1:8443" }, Env(), BuiltIn));

    [Fact]
    public void An_unknown_remote_lists_the_known_ones() =>
        Should.Throw<IncusTestKitException>(() => ResolvedClientOptions.Resolve(new SandboxClientOptions { Remote = "nope" }, Env(), BuiltIn))
            .Message.ShouldContain("images, local");

    [Fact]
    public void The_daemon_timeout_is_30_seconds_unless_ISB_DAEMON_TIMEOUT_or_code_say_otherwise()
    {
        ResolvedClientOptions.Resolve(new SandboxClientOptions(), Env(), BuiltIn).DaemonTimeout.ShouldBe(TimeSpan.FromSeconds(30));
        ResolvedClientOptions.Resolve(new SandboxClientOptions(), Env(("ISB_DAEMON_TIMEOUT", "2.5")), BuiltIn).DaemonTimeout.ShouldBe(TimeSpan.FromSeconds(2.5));
        ResolvedClientOptions.Resolve(new SandboxClientOptions(), Env(("ISB_DAEMON_TIMEOUT", "0")), BuiltIn).DaemonTimeout.ShouldBe(Timeout.InfiniteTimeSpan);
        ResolvedClientOptions.Resolve(new SandboxClientOptions { DaemonTimeout = TimeSpan.FromSeconds(5) }, Env(("ISB_DAEMON_TIMEOUT", "60")), BuiltIn)
            .DaemonTimeout.ShouldBe(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("2m")]
    [InlineData("-1")]
    [InlineData("soon")]
    public void An_ISB_DAEMON_TIMEOUT_that_is_not_seconds_is_one_clear_error(string value)
    {
        var error = Should.Throw<IncusTestKitException>(() => ResolvedClientOptions.Resolve(new SandboxClientOptions(), Env(("ISB_DAEMON_TIMEOUT", value)), BuiltIn));

        error.Code.ShouldBe(SandboxErrorCode.InvalidConfiguration);
        error.Message.ShouldContain($"ISB_DAEMON_TIMEOUT='{value}' is not a number of seconds");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(90_000)]
    public void A_daemon_timeout_of_zero_less_or_over_a_day_is_refused(int seconds) =>
        Should.Throw<ArgumentOutOfRangeException>(() =>
            ResolvedClientOptions.Resolve(new SandboxClientOptions { DaemonTimeout = TimeSpan.FromSeconds(seconds) }, Env(), BuiltIn));
}
