using System.Net.Sockets;
using IncusTestKit.Configuration;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Images;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Shouldly;

namespace IncusTestKit.Tests.Configuration;

/// <summary>The optional logger: what a client logs, under which category and event, and what it never logs.</summary>
public sealed class LoggingSpecs
{
    private const string ClientCategory = "IncusTestKit.Sandboxes.SandboxClient";
    private const string SandboxCategory = "IncusTestKit.Sandboxes.Sandbox";
    private const string DaemonCategory = "IncusTestKit.Client.IncusClient";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_exec_and_destroy_are_logged_with_their_durations_and_never_a_commands_environment()
    {
        await IncusDaemon.RequireAsync();
        var log = new CapturingLoggerFactory();
        await using var client = new SandboxClient(new SandboxClientOptions { LoggerFactory = log });
        var name = TestNames.New("log");
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");

        var sandbox = await client.CreateAsync(new SandboxOptions { Name = name, Image = TestImages.Busybox }, Ct);
        var result = await sandbox.RunCommandAsync(["sh", "-c", "echo $ISBT_TOKEN; exit 3"],
            new CommandOptions { Environment = new Dictionary<string, string> { ["ISBT_TOKEN"] = secret } }, Ct);
        await sandbox.DestroyAsync(cancellationToken: Ct);

        result.Stdout.ShouldContain(secret); // the value did reach the command
        var created = log.OfEvent(1001).ShouldHaveSingleItem();
        created.Category.ShouldBe(ClientCategory);
        created.Level.ShouldBe(LogLevel.Information);
        created["Sandbox"].ShouldBe(name);
        ((long)created["ElapsedMs"]!).ShouldBeGreaterThan(0);
        log.OfEvent(1000).ShouldHaveSingleItem()["Image"]!.ToString().ShouldBe(TestImages.Busybox);

        var starting = log.OfEvent(2000).ShouldHaveSingleItem();
        starting.Category.ShouldBe(SandboxCategory);
        starting.Message.ShouldBe($"Running sh -c 'echo $ISBT_TOKEN; exit 3' in sandbox {name}");
        var exited = log.OfEvent(2001).ShouldHaveSingleItem();
        exited["ExitCode"].ShouldBe(3);
        exited["ElapsedMs"].ShouldBe((long)result.Duration.TotalMilliseconds);

        var destroyed = log.OfEvent(1011).ShouldHaveSingleItem();
        destroyed.Category.ShouldBe(ClientCategory);
        destroyed["Sandbox"].ShouldBe(name);
        ((long)destroyed["ElapsedMs"]!).ShouldBeGreaterThan(0);
        // In order; a busy daemon may add wait rounds (3002) in between, and the client's leftover sweep its own entries.
        log.Entries.Where(e => e.EventId.Id < 3000 && Equals(e["Sandbox"], name)).Select(e => e.EventId.Id).ShouldBe([1000, 1001, 2000, 2001, 1010, 1011]);

        foreach (var entry in log.Entries)
        {
            entry.Message.ShouldNotContain(secret);
            entry.Values.ShouldAllBe(v => v.Value == null || !v.Value.ToString()!.Contains(secret));
        }
    }

    [Fact]
    public async Task A_create_that_fails_is_logged_with_why_and_the_destroy_of_what_it_kept()
    {
        await IncusDaemon.RequireAsync();
        var log = new CapturingLoggerFactory();
        await using var client = new SandboxClient(new SandboxClientOptions { LoggerFactory = log });
        var name = TestNames.New("logfail");
        try
        {
            // No time to become ready: the sandbox is made, then kept for inspection.
            var error = await Should.ThrowAsync<SandboxTimeoutException>(
                () => client.CreateAsync(new SandboxOptions { Name = name, Image = TestImages.Busybox, Timeout = TimeSpan.FromMilliseconds(1) }, Ct));

            var failed = log.OfEvent(1002).ShouldHaveSingleItem();
            failed.Level.ShouldBe(LogLevel.Warning);
            failed["Sandbox"].ShouldBe(name);
            failed.Exception.ShouldBeSameAs(error);
            log.OfEvent(1001).ShouldBeEmpty();
        }
        finally
        {
            await client.DestroyAsync(name, cancellationToken: Ct);
        }
        log.OfEvent(1011).ShouldHaveSingleItem()["Sandbox"].ShouldBe(name);
    }

    [Fact]
    public async Task Each_wait_round_of_a_long_command_is_logged_at_debug_level()
    {
        await IncusDaemon.RequireAsync();
        var log = new CapturingLoggerFactory();
        // A daemon timeout of 2 s makes wait rounds of 1 s.
        await using var client = new SandboxClient(new SandboxClientOptions { LoggerFactory = log, DaemonTimeout = TimeSpan.FromSeconds(2) });
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Name = TestNames.New("logwait"), Image = TestImages.Busybox }, Ct);

        await sandbox.RunCommandAsync(["sleep", "3"], cancellationToken: Ct);

        var rounds = log.OfEvent(3002);
        rounds.Count.ShouldBeGreaterThanOrEqualTo(2);
        rounds.ShouldAllBe(r => r.Category == DaemonCategory && r.Level == LogLevel.Debug && (int)r["RoundSeconds"]! == 1);
    }

    [Fact]
    public async Task A_daemon_that_does_not_answer_is_logged_as_a_warning_with_the_request()
    {
        var path = Path.Combine(Path.GetTempPath(), $"isbt-mute-{Guid.NewGuid():N}.sock");
        // Listening but never accepting: the connection is made and the request sent, and no answer ever comes.
        using var mute = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        mute.Bind(new UnixDomainSocketEndPoint(path));
        mute.Listen(16);
        try
        {
            var log = new CapturingLoggerFactory();
            await using var client = new SandboxClient(new SandboxClientOptions { SocketPath = path, DaemonTimeout = TimeSpan.FromSeconds(1), LoggerFactory = log });

            await Should.ThrowAsync<IncusUnavailableException>(() => client.GetServerInfoAsync(Ct));

            var stall = log.OfEvent(3000).ShouldHaveSingleItem();
            stall.Category.ShouldBe(DaemonCategory);
            stall.Level.ShouldBe(LogLevel.Warning);
            stall["Socket"].ShouldBe(path);
            stall["WaitedMs"].ShouldBe(1000L);
            stall["Request"].ShouldBe("GET /1.0");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_client_without_a_logger_factory_logs_nothing_and_its_log_calls_allocate_nothing()
    {
        await using var client = new SandboxClient();
        ILogger[] loggers = [client.Logger, client.SandboxLogger, client.Incus.Logger];
        loggers.ShouldAllBe(l => !l.IsEnabled(LogLevel.Critical));
        var image = ImageReference.Parse(TestImages.Busybox);
        string[] argv = ["sh", "-c", "echo hi"];
        LogEveryCallSite(client, image, argv); // warm up: first calls may allocate once

        var before = GC.GetAllocatedBytesForCurrentThread();
        LogEveryCallSite(client, image, argv);
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
    }

    // The calls as the call sites make them, arguments included.
    private static void LogEveryCallSite(SandboxClient client, ImageReference image, string[] argv)
    {
        Log.CreatingSandbox(client.Logger, "isbt-x", image);
        Log.SandboxCreated(client.Logger, "isbt-x", Log.Milliseconds(TimeSpan.FromSeconds(1)));
        Log.CommandStarting(client.SandboxLogger, new CommandText(argv), "isbt-x");
        Log.CommandExited(client.SandboxLogger, new CommandText(argv), "isbt-x", 0, 12);
        Log.DestroyingSandbox(client.Logger, "isbt-x");
        Log.SandboxDestroyed(client.Logger, "isbt-x", 34);
        Log.OperationStillRunning(client.Incus.Logger, "op", 15);
    }

    [Theory]
    [InlineData(new[] { "uname", "-a" }, "uname -a")]
    [InlineData(new[] { "sh", "-c", "echo 'hi'; exit 3" }, "sh -c 'echo '\\''hi'\\''; exit 3'")]
    [InlineData(new[] { "printf", "" }, "printf ''")]
    public void A_command_is_logged_as_it_would_be_typed(string[] argv, string shown)
    {
        new CommandText(argv).ToString().ShouldBe(shown);
    }

    [Fact]
    public void A_long_command_is_cut_in_the_log()
    {
        var shown = new CommandText(["sh", "-c", new string('x', 1000)]).ToString();

        shown.Length.ShouldBe(CommandText.MaxLength + 3);
        shown.ShouldEndWith("...");
    }
}
