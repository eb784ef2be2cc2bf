using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>Bad input gets a clear, typed error and leaves nothing behind.</summary>
public sealed class CreateErrorSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_missing_image_fails_before_anything_is_created()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("noimg");

        var error = await Should.ThrowAsync<ImageNotFoundException>(
            () => client.CreateAsync(new SandboxOptions { Image = "isb/does-not-exist", Name = name }, Ct));

        error.Code.ShouldBe(SandboxErrorCode.ImageNotFound);
        error.Message.ShouldContain("isb/does-not-exist");
        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unknown_remote_in_the_image_reference_is_named_in_the_error()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();

        var error = await Should.ThrowAsync<ImageNotFoundException>(
            () => client.CreateAsync(new SandboxOptions { Image = "nosuchremote:debian/12", Name = TestNames.New("norem") }, Ct));

        error.Message.ShouldContain("nosuchremote");
    }

    [Fact]
    public async Task An_unreachable_remote_image_is_image_not_found_and_leaves_nothing_behind()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("remote");

        // images: is the built-in simplestreams remote; this machine cannot reach it (nor need it).
        var error = await Should.ThrowAsync<ImageNotFoundException>(
            () => client.CreateAsync(new SandboxOptions { Image = "images:isbt/never", Name = name }, Ct));

        error.Message.ShouldContain("images:isbt/never");
        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_readiness_timeout_keeps_the_sandbox_for_inspection_and_says_so()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("slow");
        try
        {
            var error = await Should.ThrowAsync<SandboxTimeoutException>(() => client.CreateAsync(
                new SandboxOptions { Image = TestImages.Busybox, Name = name, Timeout = TimeSpan.FromMilliseconds(1) }, Ct));

            error.Message.ShouldContain("kept for inspection");
            error.Message.ShouldContain($"dotnet isb destroy {name}");
            (await client.ListAsync(prefix: name, cancellationToken: Ct)).Count.ShouldBe(1);
        }
        finally
        {
            await client.DestroyAsync(name, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task A_duplicate_name_is_a_name_conflict_and_the_existing_sandbox_is_untouched()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var name = TestNames.New("dup");
        await using var first = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, Ct);

        var error = await Should.ThrowAsync<NameConflictException>(
            () => client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, Ct));

        error.Message.ShouldContain(name);
        (await first.GetStateAsync(Ct)).ShouldBe(SandboxState.Running);
    }

    [Theory]
    [InlineData("bad_name")]
    [InlineData("-leading")]
    [InlineData("12345")]
    [InlineData("has space")]
    public async Task A_bad_name_is_refused_with_the_rule_it_breaks(string name)
    {
        await using var client = new SandboxClient();

        var error = await Should.ThrowAsync<InvalidNameException>(
            () => client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, Ct));

        error.Message.ShouldContain(name);
    }

    [Fact]
    public async Task A_virtual_machine_on_a_host_without_kvm_is_refused_before_anything_is_created()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var server = await client.GetServerInfoAsync(Ct);
        Assert.SkipWhen(server.SupportsVirtualMachines, "This server has the qemu driver, so a VM request is valid here.");
        var name = TestNames.New("vm");

        var error = await Should.ThrowAsync<UnsupportedInstanceTypeException>(
            () => client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name, Type = SandboxType.VirtualMachine }, Ct));

        error.Message.ShouldContain("virtual machines");
        (await client.ListAsync(prefix: name, cancellationToken: Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_bad_memory_limit_is_refused_before_anything_is_created()
    {
        await using var client = new SandboxClient();

        var error = await Should.ThrowAsync<ArgumentException>(() => client.CreateAsync(new SandboxOptions
        {
            Image = TestImages.Busybox,
            Name = TestNames.New("mem"),
            Limits = new SandboxLimits { Memory = "lots" },
        }, Ct));

        error.Message.ShouldContain("512MiB");
    }

    [Fact]
    public async Task A_sandbox_that_is_not_there_is_not_found()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();

        var error = await Should.ThrowAsync<SandboxNotFoundException>(() => client.GetByNameAsync("isbt-never-created", Ct));

        error.Name.ShouldBe("isbt-never-created");
        error.Message.ShouldContain("dotnet isb list");
    }

    [Fact]
    public async Task A_missing_socket_says_incus_is_not_running_and_how_to_start_it()
    {
        await using var client = new SandboxClient(new SandboxClientOptions { SocketPath = "/nonexistent/incus.socket" });

        var error = await Should.ThrowAsync<IncusUnavailableException>(() => client.ListAsync(cancellationToken: Ct));

        error.Reason.ShouldBe(IncusUnavailableReason.SocketMissing);
        error.Message.ShouldContain("/nonexistent/incus.socket");
        error.Message.ShouldContain("sudo incus admin init --minimal");
        error.Message.ShouldNotContain("build.sh");
    }

    [Fact]
    public async Task A_socket_nobody_listens_on_says_the_daemon_is_not_answering()
    {
        var path = Path.Combine(Path.GetTempPath(), $"isbt-dead-{Guid.NewGuid():N}.sock");
        // Bound but never listening, like the socket a crashed daemon leaves behind: connections are refused.
        using var deadSocket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        deadSocket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        try
        {
            await using var client = new SandboxClient(new SandboxClientOptions { SocketPath = path });

            var error = await Should.ThrowAsync<IncusUnavailableException>(() => client.GetServerInfoAsync(Ct));

            error.Reason.ShouldBe(IncusUnavailableReason.NotAnswering);
            error.Message.ShouldContain("not answering");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
