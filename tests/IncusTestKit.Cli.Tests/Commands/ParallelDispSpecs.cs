using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>A busy CI host: many <c>dotnet isb disp</c> processes started in the same second on one daemon.</summary>
[Collection(DispInstances.Collection)]
public sealed class ParallelDispSpecs
{
    [Fact]
    public async Task Disposable_sandboxes_started_together_all_run_their_command_and_are_all_gone()
    {
        await IncusDaemon.RequireAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            IsbTool.RunAsync("disp", "--image", TestImages.Busybox, "--cmd", "echo ok")));
        try
        {
            foreach (var result in results)
            {
                // No name race, no lost exit code, no stall of one process's making: each one just works.
                result.ExitCode.ShouldBe(0, result.StandardError);
                result.StandardOutput.ShouldBe("ok\n");
            }
            results.Select(r => DispInstances.NameIn(r.StandardError)).Distinct().Count().ShouldBe(10);
            foreach (var result in results)
                (await DispInstances.ExistsAsync(DispInstances.NameIn(result.StandardError))).ShouldBeFalse();
        }
        finally
        {
            foreach (var result in results)
                await DispInstances.DestroyNamedInAsync(result.StandardError);
        }
    }
}
