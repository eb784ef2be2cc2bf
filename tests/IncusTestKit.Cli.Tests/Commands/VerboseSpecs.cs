using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>--verbose</c>: the SDK's log as lines on standard error, standard output untouched.</summary>
public sealed class VerboseSpecs
{
    [Fact]
    public async Task Verbose_logs_create_exec_and_destroy_to_stderr_and_leaves_stdout_and_the_environment_alone()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("verbose");
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        try
        {
            var created = await IsbTool.RunAsync("--verbose", "create", name, "--image", TestImages.Busybox);
            var quiet = await IsbTool.RunAsync("exec", name, "--", "echo", "hello");
            var verbose = await IsbTool.RunAsync("exec", name, "--verbose", "-e", $"ISBT_TOKEN={secret}", "--", "sh", "-c", "echo $ISBT_TOKEN; exit 3");
            var destroyed = await IsbTool.RunAsync("destroy", name, "--verbose");

            created.ExitCode.ShouldBe(0, created.StandardError);
            created.StandardError.ShouldContain("isb: debug IncusTestKit.Sandboxes.SandboxClient: Creating sandbox " + name + " from " + TestImages.Busybox);
            created.StandardError.ShouldMatch($@"isb: info IncusTestKit\.Sandboxes\.SandboxClient: Created sandbox {name} in \d+ ms");
            created.StandardOutput.ShouldNotContain("isb:");

            quiet.StandardOutput.ShouldBe("hello\n");
            quiet.StandardError.ShouldBeEmpty();

            verbose.ExitCode.ShouldBe(3);
            verbose.StandardOutput.ShouldBe(secret + "\n");
            verbose.StandardError.ShouldContain($"isb: debug IncusTestKit.Sandboxes.Sandbox: Running sh -c 'echo $ISBT_TOKEN; exit 3' in sandbox {name}");
            verbose.StandardError.ShouldMatch($@"isb: info IncusTestKit\.Sandboxes\.Sandbox: Command sh -c 'echo \$ISBT_TOKEN; exit 3' in sandbox {name} exited with 3 after \d+ ms");
            verbose.StandardError.ShouldNotContain(secret);

            destroyed.ExitCode.ShouldBe(0, destroyed.StandardError);
            destroyed.StandardError.ShouldMatch($@"isb: info IncusTestKit\.Sandboxes\.SandboxClient: Destroyed sandbox {name} in \d+ ms");
        }
        finally
        {
            await Leftovers.DestroyAsync(name);
        }
    }
}
