using IncusTestKit.Configuration;
using Shouldly;

namespace IncusTestKit.Tests.Configuration;

public sealed class IncusConfigYamlSpecs
{
    [Fact]
    public void Block_style_remotes_are_read()
    {
        var config = IncusConfigYaml.Parse("""
            default-remote: mine
            remotes:
              mine:
                addr: unix:///run/mine.socket
                protocol: incus
                project: team
              images:
                addr: https://images.example.org
                protocol: simplestreams
                public: true
            aliases: {}
            """);

        config.DefaultRemote.ShouldBe("mine");
        config.Remotes.ShouldContain(new IncusRemote("mine", "unix:///run/mine.socket", "incus", false, "team"));
        config.Remotes.ShouldContain(new IncusRemote("images", "https://images.example.org", "simplestreams", true, null));
    }

    [Fact]
    public void Flow_style_remotes_are_read_and_the_protocol_defaults_to_incus()
    {
        var config = IncusConfigYaml.Parse("""
            remotes:
              images: {addr: "https://images.linuxcontainers.org", protocol: simplestreams, public: true}
              local: {addr: "unix://", public: false}
            """);

        config.DefaultRemote.ShouldBeNull();
        config.Remotes.Single(r => r.Name == "local").Protocol.ShouldBe("incus");
    }

    [Fact]
    public void Local_is_always_the_unix_socket_and_images_is_built_in()
    {
        var remotes = new IncusRemoteConfig([new IncusRemote("local", "https://elsewhere", "incus", false, "p")], "local", "/conf");

        remotes.Find("local")!.Address.ShouldBe("unix://");
        remotes.Find("local")!.Project.ShouldBe("p");
        remotes.Find("images")!.Protocol.ShouldBe("simplestreams");
    }

    [Fact]
    public void An_empty_file_has_no_remotes() => IncusConfigYaml.Parse("").Remotes.ShouldBeEmpty();
}
