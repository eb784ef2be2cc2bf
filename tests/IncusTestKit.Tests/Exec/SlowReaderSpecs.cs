using IncusTestKit.Exec;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Exec;

/// <summary>
/// A process starved of CPU (dozens of tools on one CI host) reads a command's output late. The daemon forgets a
/// finished operation, exit code and all, five seconds after it ends; the result must not depend on being quicker.
/// </summary>
public sealed class SlowReaderSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    [Fact]
    public async Task The_exit_code_survives_a_caller_that_reads_the_output_long_after_the_command_ended()
    {
        var sandbox = await shared.GetAsync();
        var ct = TestContext.Current.CancellationToken;
        var stalled = false;

        var result = await sandbox.RunCommandAsync("echo ok; exit 7", new CommandOptions
        {
            // Holding the first chunk holds the output pump: the command ends meanwhile and its operation expires.
            OnOutput = async (_, token) =>
            {
                if (stalled)
                    return;
                stalled = true;
                await Task.Delay(TimeSpan.FromSeconds(8), token);
            },
        }, ct);

        result.ExitCode.ShouldBe(7);
        result.Stdout.ShouldBe("ok\n");
    }
}
