using System.Diagnostics;
using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>
/// Freezes the daemon (SIGSTOP: alive, its socket accepting connections, answering nothing) for a few seconds under
/// calls of every kind. Disruptive: it shares the restart test's collection, so the two never overlap and nothing
/// else runs meanwhile.
/// </summary>
[Collection(nameof(DaemonRestartGroup))]
public sealed class DaemonStallSpecs
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    // An operation wait is asked in rounds of half the bound, each given the round plus the bound.
    private static readonly TimeSpan WaitBound = Bound / 2 + Bound;

    // The call's own round trip and scheduling on a busy 2-core machine.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Every_kind_of_call_to_a_frozen_daemon_fails_within_the_bound_and_the_same_client_works_once_it_resumes()
    {
        await BootstrapDaemon.RequireAsync("Freezes the Incus daemon with SIGSTOP for a few seconds");
        var ct = TestContext.Current.CancellationToken;
        await using var client = new SandboxClient(new SandboxClientOptions { DaemonTimeout = Bound });
        var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("stall"), AutoDestroy = false }, ct);
        var unborn = TestNames.New("stall");
        try
        {
            await sandbox.Files.WriteFileAsync("/tmp/kept", "kept", cancellationToken: ct);
            var ticking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var streaming = sandbox.RunCommandAsync(["sh", "-c", "while true; do echo tick; sleep 0.2; done"], new CommandOptions
            {
                Timeout = TimeSpan.FromMinutes(2),
                OnOutput = (_, _) =>
                {
                    ticking.TrySetResult();
                    return ValueTask.CompletedTask;
                },
            }, ct);
            await ticking.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            await using var terminal = await sandbox.StartTerminalAsync(["sh"], cancellationToken: ct);

            Outcome streamed, listed, executed, read, created, shown;
            await using (await BootstrapDaemon.PauseAsync(TimeSpan.FromSeconds(60), ct))
            {
                // Bounded here too, so a regression fails the test instead of hanging it with the daemon frozen.
                var outcomes = await Task.WhenAll(
                    TimeAsync(() => streaming),
                    TimeAsync(() => client.ListAsync(cancellationToken: ct)),
                    TimeAsync(() => sandbox.RunCommandAsync(["true"], cancellationToken: ct)),
                    TimeAsync(() => sandbox.Files.ReadFileAsync("/tmp/kept", cancellationToken: ct)),
                    TimeAsync(() => client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = unborn }, ct)),
                    TimeAsync(() => ReadToEndAsync(terminal, ct)))
                    .WaitAsync(TimeSpan.FromSeconds(30), ct);
                (streamed, listed, executed, read, created, shown) = (outcomes[0], outcomes[1], outcomes[2], outcomes[3], outcomes[4], outcomes[5]);
            }

            streamed.ShouldBeNotAnswering(WaitBound + Slack, "an exec already streaming");
            streamed.Error!.Message.ShouldContain(sandbox.Name);
            listed.ShouldBeNotAnswering(Bound + Slack, "list");
            executed.ShouldBeNotAnswering(Bound + Slack, "a new exec");
            read.ShouldBeNotAnswering(Bound + Slack, "a file read");
            created.ShouldBeNotAnswering(Bound + Slack, "a create");
            shown.ShouldBeNotAnswering(WaitBound + Slack, "a quiet terminal");

            (await client.ListAsync(cancellationToken: ct)).Select(s => s.Name).ShouldContain(sandbox.Name);
            (await sandbox.RunCommandAsync("echo back", cancellationToken: ct)).Stdout.ShouldBe("back\n");
            (await sandbox.Files.ReadFileAsync("/tmp/kept", cancellationToken: ct)).ShouldBe("kept");
            // The streaming command lost its control connection, so the daemon killed it once it could.
            await WaitUntilGoneAsync(sandbox, "echo tick", ct);
        }
        finally
        {
            await client.DestroyAsync(sandbox.Name, cancellationToken: CancellationToken.None);
            try
            {
                await client.DestroyAsync(unborn, cancellationToken: CancellationToken.None);
            }
            catch (SandboxNotFoundException)
            {
                // Never created, as it should be.
            }
        }
    }

    private static async Task<Outcome> TimeAsync(Func<Task> call)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await call();
            return new Outcome(null, stopwatch.Elapsed);
        }
        catch (Exception e)
        {
            return new Outcome(e, stopwatch.Elapsed);
        }
    }

    private static async Task ReadToEndAsync(TerminalSession terminal, CancellationToken ct)
    {
        var buffer = new byte[4096];
        while (await terminal.ReadOutputAsync(buffer, ct) > 0)
        {
        }
    }

    private static async Task WaitUntilGoneAsync(Sandbox sandbox, string command, CancellationToken ct)
    {
        var processes = "";
        await Poll.UntilAsync(async () => !(processes = (await sandbox.RunCommandAsync(["ps"], cancellationToken: ct)).Stdout).Contains(command, StringComparison.Ordinal),
            TimeSpan.FromSeconds(10));
        processes.ShouldNotContain(command);
    }
}

/// <summary>How a call ended and after how long.</summary>
internal sealed record Outcome(Exception? Error, TimeSpan Elapsed)
{
    public void ShouldBeNotAnswering(TimeSpan within, string call)
    {
        var error = Error.ShouldBeOfType<IncusUnavailableException>($"{call} should end in IncusUnavailableException, but ended in: {Error}");
        error.Reason.ShouldBe(IncusUnavailableReason.NotAnswering, call);
        error.Waited.ShouldNotBeNull(call);
        error.Message.ShouldContain("did not answer within", Case.Sensitive, call);
        error.Message.ShouldContain("incus info", Case.Sensitive, call);
        Elapsed.ShouldBeLessThan(within, $"{call} took {Elapsed.TotalSeconds:0.0} s to fail");
    }
}
