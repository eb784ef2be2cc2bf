using System.Security.Cryptography;
using System.Text;
using IncusTestKit.Configuration;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Client;

/// <summary>
/// The daemon timeout bounds each step that waits on the daemon, never the length of a call: commands, terminals and
/// transfers that take far longer than it succeed while the daemon keeps answering.
/// </summary>
public sealed class DaemonTimeoutSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_quiet_command_that_runs_far_longer_than_the_daemon_timeout_succeeds()
    {
        await using var client = new SandboxClient(new SandboxClientOptions { DaemonTimeout = Bound });
        var sandbox = await client.GetByNameAsync((await shared.GetAsync()).Name, Ct);

        var result = await sandbox.RunCommandAsync(["sleep", "8"], cancellationToken: Ct);

        result.ExitCode.ShouldBe(0);
        result.Duration.ShouldBeGreaterThan(TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task A_terminal_left_quiet_longer_than_the_daemon_timeout_still_answers()
    {
        await using var client = new SandboxClient(new SandboxClientOptions { DaemonTimeout = Bound });
        var sandbox = await client.GetByNameAsync((await shared.GetAsync()).Name, Ct);
        await using var terminal = await sandbox.StartTerminalAsync(["sh"], cancellationToken: Ct);

        await Task.Delay(Bound * 3, Ct);
        await terminal.WriteInputAsync(Encoding.UTF8.GetBytes("echo got-$((6 * 7)); exit\n"), Ct);
        var shown = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while ((read = await terminal.ReadOutputAsync(buffer, Ct)) > 0)
            shown.Append(Encoding.UTF8.GetString(buffer, 0, read));

        shown.ToString().ShouldContain("got-42");
        (await terminal.WaitForExitAsync(Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task An_upload_from_a_source_slower_than_the_daemon_timeout_succeeds()
    {
        await using var client = new SandboxClient(new SandboxClientOptions { DaemonTimeout = Bound });
        var sandbox = await client.GetByNameAsync((await shared.GetAsync()).Name, Ct);
        var chunks = Enumerable.Range(0, 3).Select(_ => RandomNumberGenerator.GetBytes(64 * 1024)).ToArray();
        var path = $"/tmp/slow-{Guid.NewGuid():N}";

        // Each chunk comes after more than the bound: the caller's source is not the daemon, and is not timed.
        await using (var source = new SlowStream(chunks, Bound + TimeSpan.FromSeconds(1)))
            await sandbox.Files.WriteFileAsync(path, source, cancellationToken: Ct);

        (await sandbox.Files.ReadFileBytesAsync(path, Ct)).ShouldBe(chunks.SelectMany(c => c).ToArray());
        await sandbox.Files.DeleteAsync(path, cancellationToken: Ct);
    }

    [Fact]
    public async Task A_download_read_more_slowly_than_the_daemon_timeout_succeeds()
    {
        await using var client = new SandboxClient(new SandboxClientOptions { DaemonTimeout = Bound });
        var sandbox = await client.GetByNameAsync((await shared.GetAsync()).Name, Ct);
        var content = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var path = $"/tmp/slow-{Guid.NewGuid():N}";
        await sandbox.Files.WriteFileAsync(path, content, cancellationToken: Ct);

        using var received = new MemoryStream();
        await using (var file = await sandbox.Files.OpenReadAsync(path, Ct))
        {
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await file.ReadAsync(buffer, Ct)) > 0)
            {
                received.Write(buffer, 0, read);
                // A consumer that pauses longer than the bound once: only the daemon's pace is timed.
                if (received.Length == read)
                    await Task.Delay(Bound + TimeSpan.FromSeconds(1), Ct);
            }
        }

        received.ToArray().ShouldBe(content);
        await sandbox.Files.DeleteAsync(path, cancellationToken: Ct);
    }

    /// <summary>A source that hands out its chunks with a pause before each.</summary>
    private sealed class SlowStream(byte[][] chunks, TimeSpan pause) : Stream
    {
        private int _next;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_next == chunks.Length)
                return 0;
            await Task.Delay(pause, cancellationToken);
            var chunk = chunks[_next++];
            chunk.CopyTo(buffer);
            return chunk.Length;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
