using System.Collections.Concurrent;
using System.Text;
using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Configuration;

/// <summary>
/// The client's hooks for a host such as a test framework: a token every call takes when given none, and an observer
/// of every command's output.
/// </summary>
public sealed class ClientHookSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The calls under test are given no token on purpose.
#pragma warning disable xUnit1051
    [Fact]
    public async Task A_call_given_no_token_takes_the_ambient_one_and_its_command_is_killed_when_it_is_cancelled_while_cleanup_still_works()
    {
        await IncusDaemon.RequireAsync();
        using var ambient = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        await using var client = new SandboxClient(new SandboxClientOptions { AmbientCancellation = () => ambient.Token });
        var sandbox = await client.CreateAsync(new SandboxOptions { Name = TestNames.New("ambient"), Image = TestImages.Busybox }, Ct);
        try
        {
            var run = sandbox.RunCommandAsync("echo started; exec sleep 3171");
            (await Poll.UntilAsync(async () => run.IsCompleted || (await ProcessesAsync(sandbox)).Contains("sleep 3171", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30))).ShouldBeTrue("the sleep did not start within 30 s");
            run.IsCompleted.ShouldBeFalse($"the sleep ended before it was cancelled: {run.Exception}");

            await ambient.CancelAsync();

            await Should.ThrowAsync<OperationCanceledException>(() => run);
            await Should.ThrowAsync<OperationCanceledException>(() => sandbox.Files.ExistsAsync("/tmp"));
            // A token of the caller's own wins over the cancelled ambient one.
            (await ProcessesAsync(sandbox)).ShouldNotContain("sleep 3171");
        }
        finally
        {
            // Destroying never takes the ambient token: cleanup after a cancelled test still happens.
            await sandbox.DestroyAsync();
        }
        (await client.ListAsync(cancellationToken: Ct)).ShouldNotContain(info => info.Name == sandbox.Name);
    }
#pragma warning restore xUnit1051

    [Fact]
    public async Task The_output_observer_sees_every_commands_output_and_its_end()
    {
        await IncusDaemon.RequireAsync();
        var observed = new ConcurrentQueue<(string Sandbox, string Program, Recorder Recorder)>();
        await using var client = new SandboxClient(new SandboxClientOptions
        {
            CommandOutputObserver = (sandbox, argv) =>
            {
                var recorder = new Recorder();
                observed.Enqueue((sandbox.Name, argv[0], recorder));
                return argv[0] == "true" ? null : recorder;
            },
        });
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Name = TestNames.New("observe"), Image = TestImages.Busybox }, Ct);
        var theirs = new StringBuilder();

        var result = await sandbox.RunCommandAsync("echo out-line; echo err-line >&2; exit 3",
            new CommandOptions { OnOutput = (chunk, _) => { theirs.Append(Encoding.UTF8.GetString(chunk.Data.Span)); return ValueTask.CompletedTask; } }, Ct);
        await sandbox.RunCommandAsync(["true"], cancellationToken: Ct);
        await Should.ThrowAsync<SandboxTimeoutException>(() => sandbox.RunCommandAsync(["sleep", "60"], new CommandOptions { Timeout = TimeSpan.FromSeconds(1) }, Ct));

        result.ExitCode.ShouldBe(3);
        theirs.ToString().ShouldContain("out-line"); // the command's own callback still gets everything
        var (name, program, recorder) = observed.First();
        name.ShouldBe(sandbox.Name);
        program.ShouldBe("sh");
        recorder.Stdout.ShouldBe("out-line\n");
        recorder.Stderr.ShouldBe("err-line\n");
        recorder.End.ShouldBe("completed");
        observed.Select(o => o.Program).ShouldBe(["sh", "true", "sleep"]); // asked for every command, even one it declines
        observed.Last().Recorder.End.ShouldBe(nameof(SandboxTimeoutException));
    }

    private static async Task<string> ProcessesAsync(Sandbox sandbox) =>
        (await sandbox.RunCommandAsync("for f in /proc/[0-9]*/cmdline; do printf '%s\\n' \"$(tr '\\0' ' ' < $f)\"; done", cancellationToken: Ct)).Stdout;

    private sealed class Recorder : IObserver<OutputChunk>
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        public string Stdout => _stdout.ToString();
        public string Stderr => _stderr.ToString();
        public string? End { get; private set; }

        public void OnNext(OutputChunk value) => (value.Source == OutputSource.Stdout ? _stdout : _stderr).Append(Encoding.UTF8.GetString(value.Data.Span));
        public void OnCompleted() => End = "completed";
        public void OnError(Exception error) => End = error.GetType().Name;
    }
}
