using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>
/// Stops the daemon under a running call and starts it again. Runs alone (other tests would see the outage),
/// and only where build/bootstrap.sh started the daemon, so a workstation's own daemon is never touched.
/// </summary>
[Collection(nameof(DaemonRestartGroup))]
public sealed class DaemonRestartSpecs
{
    [Fact]
    public async Task A_daemon_stopping_mid_call_gives_unavailable_and_the_client_recovers_when_it_is_back()
    {
        await BootstrapDaemon.RequireAsync("Restarts the Incus daemon");
        var ct = TestContext.Current.CancellationToken;
        await using var client = new SandboxClient();
        var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("restart"), AutoDestroy = false }, ct);
        try
        {
            var running = sandbox.RunCommandAsync(["sleep", "60"], new IncusTestKit.Exec.CommandOptions { Timeout = TimeSpan.FromMinutes(2) }, ct);
            // The daemon dies under the call, not before it: the sleep runs.
            (await Poll.UntilAsync(async () => running.IsCompleted || (await sandbox.RunCommandAsync(["ps"], cancellationToken: ct)).Stdout
                .Split('\n').Any(line => line.EndsWith(" sleep 60", StringComparison.Ordinal)), TimeSpan.FromSeconds(30))).ShouldBeTrue("'sleep 60' did not start within 30 s");
            running.IsCompleted.ShouldBeFalse($"'sleep 60' ended before the daemon was killed: {running.Exception}");
            // A crash: the containers keep running, as they do across a daemon restart or upgrade.
            await BootstrapDaemon.KillAsync(ct);
            try
            {
                var error = await Should.ThrowAsync<IncusUnavailableException>(running.WaitAsync(TimeSpan.FromSeconds(30), ct));
                error.Message.ShouldContain("systemctl restart incus");
                await Should.ThrowAsync<IncusUnavailableException>(() => client.ListAsync(cancellationToken: ct));
            }
            finally
            {
                await BootstrapDaemon.StartAsync();
            }

            (await client.GetServerInfoAsync(ct)).ApiVersion.ShouldBe("1.0");
            (await sandbox.GetStateAsync(ct)).ShouldBe(SandboxState.Running);
            (await sandbox.RunCommandAsync("echo back", cancellationToken: ct)).Stdout.ShouldBe("back\n");
        }
        finally
        {
            await client.DestroyAsync(sandbox.Name, cancellationToken: CancellationToken.None);
        }
    }
}

/// <summary>Keeps the tests that stop or pause the daemon away from every other test, and from each other (xUnit runs it after the parallel ones).</summary>
[CollectionDefinition(nameof(DaemonRestartGroup), DisableParallelization = true)]
public sealed class DaemonRestartGroup;
