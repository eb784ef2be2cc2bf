using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

public sealed class SkipSpecs(NormalProbeRun normal) : IClassFixture<NormalProbeRun>
{
    private const string NoDaemon = "/run/isbt-no-daemon/unix.socket";

    [Fact]
    public async Task A_sandbox_fact_is_skipped_with_the_reason_when_the_daemon_cannot_be_reached()
    {
        var run = await ProbeRun.StartAsync(["DirectCreate", "MissingImageTests"], new Dictionary<string, string?> { ["INCUS_SOCKET"] = NoDaemon });

        foreach (var test in new[] { "DirectCreate.Creates_a_sandbox", "DirectCreate.Creates_a_sandbox_of", "MissingImageTests.First" })
        {
            run[test].Result.ShouldBe("Skip", run[test].Failure);
            run[test].Reason.ShouldContain(NoDaemon);
        }
        run["MissingImageTests.First"].Reason.ShouldContain("ISB_REQUIRE_INCUS=1");
    }

    [Fact]
    public async Task With_ISB_REQUIRE_INCUS_set_an_unreachable_daemon_fails_the_test_instead()
    {
        var run = await ProbeRun.StartAsync(["DirectCreate", "MissingImageTests"],
            new Dictionary<string, string?> { ["INCUS_SOCKET"] = NoDaemon, ["ISB_REQUIRE_INCUS"] = "1" });

        run["DirectCreate.Creates_a_sandbox"].Result.ShouldBe("Fail");
        run["DirectCreate.Creates_a_sandbox"].Failure.ShouldContain(NoDaemon);
        run["MissingImageTests.Second"].Result.ShouldBe("Fail");
    }

    [Fact]
    public async Task A_remote_whose_server_is_not_the_pinned_one_fails_sandbox_facts_with_the_reason_instead_of_skipping_them()
    {
        // A remote of the incus CLI whose pinned certificate is not the one its server presents: someone may be in between.
        await using var server = new CertificateServer(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var conf = Path.Combine(server.Folder, "conf");
        using (var client = CertificateServer.NewCertificate("client", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)))
            CertificateServer.WritePem(client, Path.Combine(conf, "client.crt"), Path.Combine(conf, "client.key"));
        using (var other = CertificateServer.NewCertificate("other-server", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), server: true))
            CertificateServer.WritePem(other, Path.Combine(conf, "servercerts", "isbt-pinned.crt"), null);
        await File.WriteAllTextAsync(Path.Combine(conf, "config.yml"), $"remotes:\n  isbt-pinned:\n    addr: {server.Address}\n    protocol: incus\n",
            TestContext.Current.CancellationToken);

        var run = await ProbeRun.StartAsync(["DirectCreate", "MissingImageTests"], new Dictionary<string, string?> { ["INCUS_CONF"] = conf, ["INCUS_REMOTE"] = "isbt-pinned" });

        // Directly in the test, and through a class fixture.
        foreach (var test in new[] { "DirectCreate.Creates_a_sandbox", "DirectCreate.Creates_a_sandbox_of", "MissingImageTests.First" })
        {
            run[test].Result.ShouldBe("Fail", run[test].Reason);
            run[test].Failure.ShouldContain($"The server at {server.Address} (remote 'isbt-pinned') was refused");
            run[test].Failure.ShouldContain("not the pinned");
        }
    }

    [Fact]
    public async Task A_class_fixture_whose_image_is_missing_skips_each_sandbox_fact_with_the_image_named()
    {
        var run = await normal.GetAsync();

        run["MissingImageTests.First"].Result.ShouldBe("Skip");
        run["MissingImageTests.Second"].Result.ShouldBe("Skip");
        run["MissingImageTests.Second"].Reason.ShouldContain("isb/no-such-image");
        // A plain [Fact] is not told to skip: the same cause fails it.
        run["MissingImageTests.Plain_fact"].Result.ShouldBe("Fail");
        run["MissingImageTests.Plain_fact"].Failure.ShouldContain("isb/no-such-image");
    }

    [Fact]
    public async Task A_per_test_sandbox_whose_image_is_missing_skips_the_test()
    {
        var run = await normal.GetAsync();

        run["PerTestMissingImage.Runs"].Result.ShouldBe("Skip");
        run["PerTestMissingImage.Runs"].Reason.ShouldContain("isb/no-such-image");
    }
}
