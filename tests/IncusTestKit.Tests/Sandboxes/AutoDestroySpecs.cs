using CliWrap;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>An auto-destroy sandbox does not outlive its process, however the process ends.</summary>
public sealed class AutoDestroySpecs
{
    private static readonly string Probe = Path.Combine(AppContext.BaseDirectory, "IncusTestKit.ExitProbe.dll");

    [Fact]
    public async Task It_is_destroyed_when_the_process_exits_without_disposing_it()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("exit");

        await Cli.Wrap("dotnet").WithArguments([Probe, name, "exit"]).ExecuteAsync(TestContext.Current.CancellationToken);

        await ShouldBeGoneAsync(name);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task It_is_destroyed_when_the_process_is_signalled(string signal)
    {
        await IncusDaemon.RequireAsync();
        var ct = TestContext.Current.CancellationToken;
        var name = TestNames.New("sig");
        var ready = new TaskCompletionSource();
        var probe = Cli.Wrap("dotnet").WithArguments([Probe, name, "wait"])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => { if (line.StartsWith("ready", StringComparison.Ordinal)) ready.TrySetResult(); }))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(ct);
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            await Cli.Wrap("kill").WithArguments([$"-{signal}", probe.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExecuteAsync(ct);
            await probe.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        }
        finally
        {
            await using var client = new SandboxClient();
            await DestroyIfLeftAsync(client, name);
        }

        await ShouldBeGoneAsync(name);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Nothing_is_left_when_the_process_is_signalled_while_its_create_request_is_in_flight(string signal)
    {
        await IncusDaemon.RequireAsync();
        var ct = TestContext.Current.CancellationToken;
        var name = TestNames.New("sigpost");
        await using var relay = new HeldCreateRelay();
        var probe = Cli.Wrap("dotnet").WithArguments([Probe, name, "wait"])
            .WithEnvironmentVariables(env => env.Set("INCUS_SOCKET", relay.SocketPath))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(ct);
        try
        {
            await relay.CreateRequested.WaitAsync(TimeSpan.FromSeconds(60), ct);
            await KillAsync(signal, probe.ProcessId);
            // The request reaches the daemon after the signal: the process must wait for its answer and delete what it made.
            await Task.WhenAny(probe.Task, Task.Delay(TimeSpan.FromSeconds(1), ct));
            relay.Release();
            await probe.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        }
        finally
        {
            relay.Release();
        }

        await OwnershipSpecs.ShouldNeverAppearAsync(name);
    }

    [Fact]
    public async Task A_sandbox_that_could_not_be_destroyed_at_exit_is_reported_with_the_fix()
    {
        await IncusDaemon.RequireAsync();
        var ct = TestContext.Current.CancellationToken;
        var name = TestNames.New("exitfail");
        var ready = new TaskCompletionSource();
        var stderr = new System.Text.StringBuilder();
        var probe = Cli.Wrap("dotnet").WithArguments([Probe, name, "wait"])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line => { if (line.StartsWith("ready", StringComparison.Ordinal)) ready.TrySetResult(); }))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(ct);
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            await OwnershipSpecs.ProtectAsync(name, true);
            await KillAsync("TERM", probe.ProcessId);
            await probe.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        }
        finally
        {
            await OwnershipSpecs.ProtectAsync(name, false);
            await using var client = new SandboxClient();
            await DestroyIfLeftAsync(client, name);
        }

        var report = stderr.ToString();
        report.ShouldContain($"isb: sandbox '{name}' was not destroyed as the process ended");
        report.ShouldContain($"Destroy it with: dotnet isb destroy {name}");
        report.Split('\n').Count(l => l.Contains("was not destroyed", StringComparison.Ordinal)).ShouldBe(1, report); // Once, though the signal and the exit both clean up.
    }

    private static Task KillAsync(string signal, int processId) =>
        Cli.Wrap("kill").WithArguments([$"-{signal}", processId.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            .ExecuteAsync(TestContext.Current.CancellationToken);

    private static async Task ShouldBeGoneAsync(string name)
    {
        await using var client = new SandboxClient();
        var left = await client.ListAsync(prefix: name, cancellationToken: TestContext.Current.CancellationToken);
        await DestroyIfLeftAsync(client, name);
        left.ShouldBeEmpty();
    }

    private static async Task DestroyIfLeftAsync(SandboxClient client, string name)
    {
        try
        {
            await client.DestroyAsync(name, cancellationToken: CancellationToken.None);
        }
        catch (SandboxNotFoundException)
        {
        }
    }
}
