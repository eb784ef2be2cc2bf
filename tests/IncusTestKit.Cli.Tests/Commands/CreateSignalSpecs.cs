using System.Globalization;
using System.Text;
using CliWrap;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>create</c> ended by a signal before the sandbox is ready leaves nothing behind.</summary>
public sealed class CreateSignalSpecs
{
    [Fact]
    public async Task SIGTERM_while_the_create_request_is_in_flight_leaves_nothing()
    {
        await IncusDaemon.RequireAsync();
        var ct = TestContext.Current.CancellationToken;
        var name = TestNames.New("clisig");
        var stderr = new StringBuilder();
        await using var relay = new HeldCreateRelay();
        var run = IsbTool.Command("create", name, "--image", TestImages.Busybox, "--socket", relay.SocketPath)
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .ExecuteAsync(ct);
        try
        {
            await relay.CreateRequested.WaitAsync(TimeSpan.FromSeconds(60), ct);
            await CliWrap.Cli.Wrap("kill").WithArguments(["-TERM", run.ProcessId.ToString(CultureInfo.InvariantCulture)]).ExecuteAsync(ct);
            // The request reaches the daemon after the signal: the tool must wait for its answer and delete what it made.
            await Task.WhenAny(run.Task, Task.Delay(TimeSpan.FromSeconds(1), ct));
            relay.Release();
            var result = await run.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);

            result.ExitCode.ShouldNotBe(0, stderr.ToString());
            for (var i = 0; i < 15; i++)
            {
                (await DispInstances.ExistsAsync(name)).ShouldBeFalse($"'{name}' was left behind; the tool said: {stderr}");
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
            }
        }
        finally
        {
            relay.Release();
            // A leftover may still be starting (the daemon refuses to delete it while busy).
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await Leftovers.DestroyAsync(name);
                    break;
                }
                catch (IncusTestKit.Errors.IncusTestKitException) when (attempt < 40)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
                }
            }
        }
    }
}
