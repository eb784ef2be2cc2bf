using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>disp --mount; in the disp collection, with the other tests that make disposable sandboxes.</summary>
[Trait("Category", IsbTool.NativeSubset)]
[Collection(DispInstances.Collection)]
public sealed class DispMountSpecs
{
    [Fact]
    public async Task Disp_mount_is_there_for_the_command()
    {
        await IncusDaemon.RequireAsync();
        using var host = new HostFolder();
        host.Write("src/hello.txt", "from the host\n");

        var result = await IsbTool.Command("disp", "--image", TestImages.Busybox, "--mount", "src:/work", "--cmd", "cat /work/hello.txt && echo x > /work/hello.txt")
            .WithWorkingDirectory(host.Path).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        try
        {
            result.ExitCode.ShouldBe(0, result.StandardError);
            result.StandardOutput.ShouldBe("from the host\n");
            File.ReadAllText(host["src/hello.txt"]).ShouldBe("from the host\n");
            (await DispInstances.ExistsAsync(DispInstances.NameIn(result.StandardError))).ShouldBeFalse();
        }
        finally
        {
            await DispInstances.DestroyNamedInAsync(result.StandardError);
        }
    }
}
