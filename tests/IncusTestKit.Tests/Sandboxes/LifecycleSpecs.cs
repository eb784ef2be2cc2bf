using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

public sealed class LifecycleSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task I_can_create_a_sandbox_that_runs_and_has_an_address()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("create");

        await using var sandbox = await client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = name,
            Limits = new SandboxLimits { Cpu = 1, Memory = "256MiB", Disk = "1GiB" },
            Labels = new Dictionary<string, string> { ["team"] = "payments" },
        }, Ct);

        sandbox.Name.ShouldBe(name);
        sandbox.IPv4Address.ShouldNotBeNull();
        (await sandbox.GetStateAsync(Ct)).ShouldBe(SandboxState.Running);
        var info = await sandbox.GetInfoAsync(Ct);
        info.Labels["team"].ShouldBe("payments");
        info.ManagedByIncusTestKit.ShouldBeTrue();
        info.Image.ShouldBe(TestImages.Busybox);
        (await sandbox.RunCommandAsync("hostname", cancellationToken: Ct)).Stdout.Trim().ShouldBe(name);
        (await sandbox.RunCommandAsync("cat /etc/hostname", cancellationToken: Ct)).Stdout.Trim().ShouldBe(name);
    }

    [Fact]
    public async Task A_generated_name_is_hostname_safe_and_disposing_destroys_the_sandbox()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        string name;

        await using (var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox }, Ct))
        {
            name = sandbox.Name;
            name.ShouldMatch("^sandbox-[a-z0-9]{10}$");
        }

        await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync(name, Ct));
    }

    [Fact]
    public async Task I_can_stop_start_restart_and_destroy_a_sandbox()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("life");
        await using var created = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name, AutoDestroy = false }, Ct);
        try
        {
            var sandbox = await client.GetByNameAsync(name, Ct);

            await sandbox.StopAsync(cancellationToken: Ct);
            (await sandbox.GetStateAsync(Ct)).ShouldBe(SandboxState.Stopped);
            await sandbox.StopAsync(cancellationToken: Ct); // stopping a stopped sandbox is a no-op
            var error = await Should.ThrowAsync<SandboxNotRunningException>(() => sandbox.RunCommandAsync("true", cancellationToken: Ct));
            error.Message.ShouldContain("dotnet isb start");

            await sandbox.StartAsync(Ct);
            await sandbox.StartAsync(Ct); // starting a running sandbox is a no-op
            (await sandbox.GetStateAsync(Ct)).ShouldBe(SandboxState.Running);

            await sandbox.RestartAsync(force: true, cancellationToken: Ct);
            (await sandbox.GetStateAsync(Ct)).ShouldBe(SandboxState.Running);

            (await client.ListAsync(prefix: name, cancellationToken: Ct)).Select(s => s.Name).ShouldBe([name]);
        }
        finally
        {
            await client.DestroyAsync(name, cancellationToken: Ct);
        }

        await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync(name, Ct));
        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Processes_and_memory_in_bytes_are_counted_while_it_runs_and_null_once_it_is_stopped()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("usage") }, Ct);

        var running = await sandbox.GetInfoAsync(Ct);
        await sandbox.StopAsync(force: true, cancellationToken: Ct);
        var stopped = await sandbox.GetInfoAsync(Ct);
        var listed = (await client.ListAsync(prefix: sandbox.Name, cancellationToken: Ct)).ShouldHaveSingleItem();

        running.Processes.ShouldNotBeNull().ShouldBeGreaterThan(0);
        // A busybox container uses a few MiB: in bytes that is between 64 KiB and 1 GiB, in KiB or pages it is not.
        running.MemoryUsage.ShouldNotBeNull().ShouldBeInRange(64L << 10, 1L << 30);
        stopped.Processes.ShouldBeNull();
        stopped.MemoryUsage.ShouldBeNull();
        listed.Processes.ShouldBeNull();
        listed.MemoryUsage.ShouldBeNull();
    }

    [Fact]
    public async Task Listing_filters_by_state_type_and_prefix()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var prefix = TestNames.New("list");
        await using var running = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = prefix + "-a" }, Ct);
        await using var stopped = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = prefix + "-b" }, Ct);
        await stopped.StopAsync(force: true, cancellationToken: Ct);

        (await client.ListAsync(prefix: prefix, cancellationToken: Ct)).Select(s => s.Name).ShouldBe([prefix + "-a", prefix + "-b"]);
        (await client.ListAsync(state: SandboxState.Running, prefix: prefix, cancellationToken: Ct)).Select(s => s.Name).ShouldBe([prefix + "-a"]);
        (await client.ListAsync(state: SandboxState.Stopped, prefix: prefix, cancellationToken: Ct)).Select(s => s.Name).ShouldBe([prefix + "-b"]);
        (await client.ListAsync(SandboxType.VirtualMachine, prefix: prefix, cancellationToken: Ct)).ShouldBeEmpty();
        (await client.ListAsync(SandboxType.Container, prefix: prefix, cancellationToken: Ct)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task An_ephemeral_sandbox_is_gone_once_stopped()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("eph"), Ephemeral = true }, Ct);
        sandbox.Ephemeral.ShouldBeTrue();

        await sandbox.StopAsync(force: true, cancellationToken: Ct);

        await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync(sandbox.Name, Ct));
    }

    [Fact]
    public async Task A_debian_sandbox_is_ready_within_the_timeout()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();

        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Debian, Name = TestNames.New("deb") }, Ct);

        sandbox.IPv4Address.ShouldNotBeNull();
        (await sandbox.RunCommandAsync(["cat", "/etc/debian_version"], cancellationToken: Ct)).Stdout.ShouldStartWith("12.");
    }
}
