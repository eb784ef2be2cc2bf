using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

public sealed class SkipSpecs(NormalProbeRun normal, RequiredProbeRun required) : IClassFixture<NormalProbeRun>, IClassFixture<RequiredProbeRun>
{
    private const string NoDaemon = "/run/isbt-no-daemon/unix.socket";

    [Fact]
    public async Task A_sandbox_fact_is_skipped_with_the_reason_and_the_fix_when_the_daemon_cannot_be_reached()
    {
        var run = await ProbeRun.StartAsync(["DirectCreate", "MissingImageTests"], new Dictionary<string, string?> { ["INCUS_SOCKET"] = NoDaemon });

        foreach (var test in new[] { "DirectCreate.Creates_a_sandbox", "DirectCreate.Creates_a_sandbox_of", "MissingImageTests.First" })
        {
            run[test].Result.ShouldBe("Skip", run[test].Failure);
            run[test].Reason.ShouldContain($"The Incus socket {NoDaemon} does not exist");
            run[test].Reason.ShouldContain("sudo incus admin init --minimal");
            run[test].Reason.ShouldContain("Or point INCUS_SOCKET at the right socket.");
        }
        run["MissingImageTests.First"].Reason.ShouldContain("set ISB_REQUIRE_INCUS=1 to make this a failure instead of a skip");
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
    public async Task A_class_fixture_whose_image_is_missing_skips_each_sandbox_fact_with_the_image_named_and_how_to_get_it()
    {
        var run = await normal.GetAsync();

        run["MissingImageTests.First"].Result.ShouldBe("Skip");
        run["MissingImageTests.Second"].Result.ShouldBe("Skip");
        run["MissingImageTests.Second"].Reason.ShouldContain("Image 'isb/no-such-image' was not found");
        run["MissingImageTests.Second"].Reason.ShouldContain("incus image copy images:debian/12 local: --alias isb/no-such-image");
        // A plain [Fact] is not told to skip: the same cause fails it.
        run["MissingImageTests.Plain_fact"].Result.ShouldBe("Fail");
        run["MissingImageTests.Plain_fact"].Failure.ShouldContain("isb/no-such-image");
    }

    [Fact]
    public async Task A_per_test_sandbox_whose_image_is_missing_skips_the_test_with_the_image_named_and_how_to_get_it()
    {
        var run = await normal.GetAsync();

        run["PerTestMissingImage.Runs"].Result.ShouldBe("Skip");
        run["PerTestMissingImage.Runs"].Reason.ShouldContain("Image 'isb/no-such-image' was not found");
        run["PerTestMissingImage.Runs"].Reason.ShouldContain("incus image copy images:debian/12 local: --alias isb/no-such-image");
    }

    [Fact]
    public async Task With_ISB_REQUIRE_INCUS_set_a_missing_image_on_a_live_daemon_fails_the_test_instead()
    {
        var run = await required.GetAsync();

        foreach (var test in new[] { "MissingImageTests.First", "MissingImageTests.Second", "PerTestMissingImage.Runs" })
        {
            run[test].Result.ShouldBe("Fail", run[test].Reason);
            run[test].Failure.ShouldContain("Image 'isb/no-such-image' was not found");
        }
        run["MissingImageTests.First"].Failure.ShouldContain("this is a failure because ISB_REQUIRE_INCUS=1 is set: unset it to skip instead.");
    }

    [Fact]
    public async Task A_fixture_asking_for_a_virtual_machine_on_a_host_without_VM_support_skips_its_tests_with_the_reason_and_the_fix_or_fails_them_when_required()
    {
        await IncusDaemon.RequireAsync();
        await using (var client = new SandboxClient())
        {
            Assert.SkipWhen((await client.GetServerInfoAsync(TestContext.Current.CancellationToken)).SupportsVirtualMachines,
                "This Incus server has the qemu driver: a virtual machine can be had here, so there is no skip to see.");
        }

        var skipped = (await normal.GetAsync())["VirtualMachineTests.Runs"];
        var failed = (await required.GetAsync())["VirtualMachineTests.Runs"];

        skipped.Result.ShouldBe("Skip", skipped.Failure);
        skipped.Reason.ShouldStartWith("This Incus server cannot run virtual machines: its instance drivers are '");
        skipped.Reason.ShouldContain("(no qemu; the host needs KVM, /dev/kvm and vhost_vsock). Use a container (the default) or a server with KVM.");
        skipped.Reason.ShouldContain("(VirtualMachineBusybox has no sandbox; set ISB_REQUIRE_INCUS=1 to make this a failure instead of a skip.)");
        failed.Result.ShouldBe("Fail", failed.Reason);
        failed.Failure.ShouldContain("This Incus server cannot run virtual machines");
        failed.Failure.ShouldContain("(VirtualMachineBusybox has no sandbox; this is a failure because ISB_REQUIRE_INCUS=1 is set: unset it to skip instead.)");
    }
}
