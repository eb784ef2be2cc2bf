using System.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>What a sandbox gets by default for untrusted code: a process limit, a checked unprivileged profile, and no network on request.</summary>
public sealed class SafeDefaultsSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Output goes to /dev/null: sleeps holding the exec's streams would keep it open after the shell gave up.
    private const string ForkBomb = "i=0; while [ $i -lt 100000 ]; do sleep 100 </dev/null >/dev/null 2>&1 & i=$((i+1)); done";

    [Fact]
    public async Task A_fork_bomb_stops_at_the_default_process_limit_while_the_host_and_other_sandboxes_keep_working()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var bombed = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("bomb") }, Ct);
        await using var neighbour = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("neigh") }, Ct);

        var bomb = await bombed.RunCommandAsync(["sh", "-c", ForkBomb], new CommandOptions { Timeout = TimeSpan.FromSeconds(60) }, Ct);

        bomb.ExitCode.ShouldNotBe(0);
        bomb.Stderr.ShouldContain("can't fork");
        var state = await client.Incus.Instances.GetStateAsync(bombed.Name, Ct);
        state.Processes.ShouldBeInRange(SandboxLimits.Default.Processes!.Value - 50, SandboxLimits.Default.Processes!.Value);
        (await client.Incus.Instances.GetAsync(bombed.Name, Ct)).Config["limits.processes"].ShouldBe("1000");
        (await neighbour.RunCommandAsync(["sh", "-c", "sleep 1 & sleep 1 & wait; echo fine"], cancellationToken: Ct)).EnsureSuccess().Stdout.ShouldBe("fine\n");
        using var host = Process.Start(new ProcessStartInfo("sh", ["-c", "sleep 0.1 & wait"]))!;
        await host.WaitForExitAsync(Ct);
        host.ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task The_process_limit_can_be_set_or_lifted()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var small = await client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = TestNames.New("procs"),
            Limits = new SandboxLimits { Processes = 50 },
        }, Ct);
        var bomb = await small.RunCommandAsync(["sh", "-c", ForkBomb], new CommandOptions { Timeout = TimeSpan.FromSeconds(60) }, Ct);
        bomb.Stderr.ShouldContain("can't fork");
        (await client.Incus.Instances.GetStateAsync(small.Name, Ct)).Processes.ShouldBeInRange(40, 50);

        await using var unlimited = await client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = TestNames.New("noproc"),
            Limits = new SandboxLimits { Processes = null },
            Network = SandboxNetwork.None,
        }, Ct);
        (await client.Incus.Instances.GetAsync(unlimited.Name, Ct)).ExpandedConfig.ShouldNotContainKey("limits.processes");
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Limits = new SandboxLimits { Processes = 0 } }, Ct));
    }

    [Fact]
    public async Task A_sandbox_without_a_network_has_only_loopback_and_is_not_waited_for()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        // A point-to-point NIC has no DHCP server behind it: with it, a create waiting for an address would time out.
        await using var noDhcp = await TempProfile.CreateAsync("p2p", new Dictionary<string, string>(), "eth1:type=nic,nictype=p2p,name=eth1");
        var stopwatch = Stopwatch.StartNew();

        await using var sandbox = await client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = TestNames.New("nonet"),
            Profiles = ["default", noDhcp.Name],
            Network = SandboxNetwork.None,
            Timeout = TimeSpan.FromSeconds(10),
        }, Ct);

        stopwatch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        sandbox.IPv4Address.ShouldBeNull();
        (await sandbox.RunCommandAsync(["ls", "/sys/class/net"], cancellationToken: Ct)).EnsureSuccess().Stdout.ShouldBe("lo\n");
        var devices = (await client.Incus.Instances.GetAsync(sandbox.Name, Ct)).ExpandedDevices;
        devices["eth0"]["type"].ShouldBe("none");
        devices["eth1"]["type"].ShouldBe("none");
    }

    [Fact]
    public async Task A_privileged_profile_is_refused_by_name_and_key_unless_the_caller_opts_in()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var privileged = await TempProfile.CreateAsync("priv", new Dictionary<string, string> { ["security.privileged"] = "true" });
        var name = TestNames.New("priv");

        var error = await Should.ThrowAsync<UnsafeProfileException>(() => client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = name,
            Profiles = ["default", privileged.Name],
        }, Ct));

        error.Code.ShouldBe(SandboxErrorCode.UnsafeProfile);
        error.Profile.ShouldBe(privileged.Name);
        error.Key.ShouldBe("security.privileged");
        error.Message.ShouldContain($"incus profile unset {privileged.Name} security.privileged");
        error.Message.ShouldContain("AllowUnsafeProfiles");
        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();

        var health = await client.CheckHealthAsync(Ct);
        var check = health.Single(c => c.Name == "profile isolation");
        check.Status.ShouldNotBe(Diagnostics.CheckStatus.Ok);
        check.Detail.ShouldContain($"'{privileged.Name}' sets security.privileged");
        check.Fix!.ShouldContain($"incus profile unset {privileged.Name} security.privileged");

        await using var allowed = await client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = name,
            Profiles = ["default", privileged.Name],
            AllowUnsafeProfiles = true,
            Network = SandboxNetwork.None,
        }, Ct);
        (await client.Incus.Instances.GetAsync(allowed.Name, Ct)).ExpandedConfig["security.privileged"].ShouldBe("true");
    }

    [Theory]
    [InlineData("security.nesting", "true")]
    [InlineData("raw.lxc", "lxc.apparmor.profile=unconfined")]
    [InlineData("raw.idmap", "both 0 0")]
    public async Task Nesting_and_raw_settings_are_refused_too(string key, string value)
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var profile = await TempProfile.CreateAsync("raw", new Dictionary<string, string> { [key] = value });

        var error = await Should.ThrowAsync<UnsafeProfileException>(() => client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = TestNames.New("raw"),
            Profiles = ["default", profile.Name],
        }, Ct));

        error.Key.ShouldBe(key);
        error.Profile.ShouldBe(profile.Name);
    }

    [Fact]
    public async Task A_later_profile_that_turns_privileged_off_again_is_accepted()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var on = await TempProfile.CreateAsync("on", new Dictionary<string, string> { ["security.privileged"] = "true" });
        await using var off = await TempProfile.CreateAsync("off", new Dictionary<string, string> { ["security.privileged"] = "false" });

        await using var sandbox = await client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = TestNames.New("onoff"),
            Profiles = ["default", on.Name, off.Name],
            Network = SandboxNetwork.None,
        }, Ct);
        (await client.Incus.Instances.GetAsync(sandbox.Name, Ct)).ExpandedConfig["security.privileged"].ShouldBe("false");
    }
}
