using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Exec;

public sealed class RunCodeSpecs(DebianSandbox shared) : IClassFixture<DebianSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(CodeLanguage.Python, "import sys\nprint('a')\nprint('b', file=sys.stderr)\nprint('c')\nsys.exit(2)", "a\nb\nc\n", 2)]
    [InlineData(CodeLanguage.Node, "console.log('a'); console.error('b'); console.log('c');", "a\nb\nc\n", 0)]
    [InlineData(CodeLanguage.Bash, "echo a; echo b >&2; echo c; exit 5", "a\nb\nc\n", 5)]
    [InlineData(CodeLanguage.Ruby, "puts 'a'; $stdout.flush; $stderr.puts 'b'; puts 'c'", "a\nb\nc\n", 0)]
    public async Task I_can_run_code_and_get_its_output_in_order(CodeLanguage language, string code, string output, int exitCode)
    {
        var sandbox = await shared.GetAsync();

        var result = await sandbox.RunCodeAsync(code, language, cancellationToken: Ct);

        result.Language.ShouldBe(language);
        result.Output.ShouldBe(output);
        result.ExitCode.ShouldBe(exitCode);
    }

    [Fact]
    public async Task A_failing_run_is_a_result_until_EnsureSuccess_demands_success()
    {
        var sandbox = await shared.GetAsync();

        var failed = await sandbox.RunCodeAsync("echo checking; echo broken >&2; exit 3", CodeLanguage.Bash, cancellationToken: Ct);
        var passed = await sandbox.RunCodeAsync("echo fine", CodeLanguage.Bash, cancellationToken: Ct);

        failed.Succeeded.ShouldBeFalse();
        var error = Should.Throw<CommandFailedException>(() => failed.EnsureSuccess());
        error.Message.ShouldBe("Bash code exited with code 3. output: checking\nbroken");
        passed.EnsureSuccess().ShouldBeSameAs(passed);
    }

    [Fact]
    public async Task Go_code_runs_when_the_image_has_go()
    {
        var sandbox = await shared.GetAsync();
        var hasGo = (await sandbox.RunCommandAsync(["sh", "-c", "command -v go"], cancellationToken: Ct)).Succeeded;
        Assert.SkipUnless(hasGo, "isb/debian12 was built without Go; build/bootstrap.sh --with-go (or ISB_IMAGE_GO=1) adds it.");

        var result = await sandbox.RunCodeAsync("package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"go!\") }", CodeLanguage.Go,
            new CommandOptions { Timeout = TimeSpan.FromMinutes(2) }, Ct);

        result.Output.ShouldBe("go!\n");
    }

    [Fact]
    public async Task The_code_file_is_removed_afterwards_even_after_a_timeout()
    {
        var sandbox = await shared.GetAsync();

        await sandbox.RunCodeAsync("print(1)", CodeLanguage.Python, cancellationToken: Ct);
        await Should.ThrowAsync<SandboxTimeoutException>(() =>
            sandbox.RunCodeAsync("import time\ntime.sleep(60)", CodeLanguage.Python, new CommandOptions { Timeout = TimeSpan.FromSeconds(1) }, Ct));

        (await sandbox.RunCommandAsync("ls /tmp | grep isb-code- || true", cancellationToken: Ct)).Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_missing_interpreter_names_the_language_and_the_image()
    {
        await using var busybox = await shared.Client.CreateAsync(new IncusTestKit.Sandboxes.SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("nopy") }, Ct);

        var error = await Should.ThrowAsync<CommandFailedException>(() => busybox.RunCodeAsync("print(1)", CodeLanguage.Python, cancellationToken: Ct));

        error.Message.ShouldContain("Python");
        error.Message.ShouldContain(TestImages.Busybox);
    }
}
