using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>
/// A client owns what it is creating and the auto-destroy sandboxes it made: cancelling, disposing the client and the
/// handle's dispose leave nothing behind, touch only the instance that create made, and report what they could not do.
/// </summary>
public sealed class OwnershipSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_create_cancelled_while_its_request_is_in_flight_leaves_nothing()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("own-cancel");
        await using var relay = new HeldCreateRelay();
        await using var client = new SandboxClient(new SandboxClientOptions { SocketPath = relay.SocketPath });
        using var cancel = new CancellationTokenSource();

        var create = client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, cancel.Token);
        await relay.CreateRequested.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        client.Ownership.Owned.Select(o => o.Name).ShouldBe([name]);
        await cancel.CancelAsync();
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        relay.Release();

        await Should.ThrowAsync<OperationCanceledException>(() => create.WaitAsync(TimeSpan.FromSeconds(60), Ct));
        await ShouldNeverAppearAsync(name);
        client.Ownership.Owned.ShouldBeEmpty();
    }

    [Fact]
    public async Task Disposing_the_client_while_a_create_is_in_flight_leaves_nothing()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("own-midisp");
        await using var relay = new HeldCreateRelay();
        var client = new SandboxClient(new SandboxClientOptions { SocketPath = relay.SocketPath });

        var create = client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, Ct);
        await relay.CreateRequested.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var dispose = client.DisposeAsync().AsTask();
        await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
        relay.Release();

        await dispose.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await Should.ThrowAsync<OperationCanceledException>(() => create.WaitAsync(TimeSpan.FromSeconds(60), Ct));
        await ShouldNeverAppearAsync(name);
    }

    [Fact]
    public async Task Disposing_the_client_destroys_the_auto_destroy_sandboxes_it_still_owns_and_keeps_the_others()
    {
        await IncusDaemon.RequireAsync();
        var owned = TestNames.New("own-auto");
        var kept = TestNames.New("own-kept");
        try
        {
            var client = new SandboxClient();
            await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = owned }, Ct);
            await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = kept, AutoDestroy = false }, Ct);
            client.Ownership.Owned.Select(o => o.Name).ShouldBe([owned]);

            await client.DisposeAsync();

            (await ExistsAsync(owned)).ShouldBeFalse();
            (await ExistsAsync(kept)).ShouldBeTrue();
        }
        finally
        {
            await DestroyIfLeftAsync(owned, kept);
        }
    }

    [Fact]
    public async Task An_instance_of_the_same_name_made_by_another_create_survives_the_cleanup()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("own-other");
        try
        {
            var client = new SandboxClient();
            var ours = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, Ct);
            await using var other = new SandboxClient();
            await other.DestroyAsync(name, cancellationToken: Ct);
            var theirs = await other.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name, AutoDestroy = false }, Ct);

            await ours.DisposeAsync();
            await Should.ThrowAsync<SandboxNotFoundException>(() => ours.DestroyAsync(cancellationToken: Ct));
            await client.DisposeAsync();

            var left = await other.GetByNameAsync(name, Ct);
            left.CreateId.ShouldBe(theirs.CreateId);
            (await left.GetStateAsync(Ct)).ShouldBe(SandboxState.Running);
        }
        finally
        {
            await DestroyIfLeftAsync(name);
        }
    }

    [Fact]
    public async Task A_sandbox_the_client_could_not_destroy_is_named_with_the_fix_by_its_dispose()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("own-fail");
        try
        {
            var client = new SandboxClient();
            await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name }, Ct);
            await ProtectAsync(name, true);

            var error = await Should.ThrowAsync<SandboxCleanupException>(async () => await client.DisposeAsync());

            error.Code.ShouldBe(SandboxErrorCode.CleanupFailed);
            error.Failures.Keys.ShouldBe([name]);
            error.Message.ShouldContain($"dotnet isb destroy {name}");
            error.Message.ShouldContain("protected", Case.Insensitive);
        }
        finally
        {
            await ProtectAsync(name, false);
            await DestroyIfLeftAsync(name);
        }
    }

    /// <summary>Sets or clears <c>security.protection.delete</c>: the daemon then refuses to delete the instance.</summary>
    internal static async Task ProtectAsync(string name, bool on)
    {
        // `incus config set` writes with the ETag of its read: a sweep of another test taking the sandbox over in between
        // makes it fail, so it is tried again. Turning protection off on a sandbox that is gone is fine.
        BufferedCommandResult result;
        var attempt = 0;
        do
        {
            if (attempt++ > 0)
                await Task.Delay(200);
            result = await Cli.Wrap("incus").WithArguments(["config", "set", name, $"security.protection.delete={(on ? "true" : "false")}"])
                .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None);
        }
        while (result.ExitCode != 0 && !result.StandardError.Contains("not found", StringComparison.OrdinalIgnoreCase) && attempt < 20);
        if (on || !result.StandardError.Contains("not found", StringComparison.OrdinalIgnoreCase))
            result.ExitCode.ShouldBe(0, result.StandardError);
    }

    /// <summary>Checks for a while that the instance does not exist, since a create request let through late makes it late.</summary>
    internal static async Task ShouldNeverAppearAsync(string name)
    {
        for (var i = 0; i < 15; i++)
        {
            if (await ExistsAsync(name))
            {
                await DestroyIfLeftAsync(name);
                Assert.Fail($"Sandbox '{name}' exists: it was left behind.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
        }
    }

    internal static async Task<bool> ExistsAsync(string name)
    {
        await using var client = new SandboxClient();
        return (await client.ListAsync(prefix: name, cancellationToken: CancellationToken.None)).Any(s => s.Name == name);
    }

    /// <summary>Destroys what a failed test left, waiting out a create the daemon is still running.</summary>
    internal static async Task DestroyIfLeftAsync(params string[] names)
    {
        await using var client = new SandboxClient();
        foreach (var name in names)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await client.DestroyAsync(name, cancellationToken: CancellationToken.None);
                    break;
                }
                catch (SandboxNotFoundException)
                {
                    break;
                }
                catch (IncusTestKitException e) when (attempt < 40 && e.Message.Contains("busy", StringComparison.OrdinalIgnoreCase))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
                }
            }
        }
    }
}
