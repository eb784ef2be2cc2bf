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
