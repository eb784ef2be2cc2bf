using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using IncusTestKit.Exec;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Exec;

/// <summary>
/// Many commands share one agent stream, so each command's stdin and output are windowed: a command that does not read
/// its stdin holds up its writer (not the agent's memory), and a caller slow to take one command's output holds up that
/// command (not the others on the sandbox).
/// </summary>
public sealed partial class AgentFlowControlSpecs(AgentSandbox shared) : IClassFixture<AgentSandbox>
{
    private const long Size = 64L * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stdin_for_a_command_that_does_not_read_it_waits_for_the_command_instead_of_filling_the_agent()
    {
        var sandbox = await shared.GetAsync();
        var source = new CountingStream(Size);
        var stderr = new StringBuilder();

        // The command's parent is the agent (the wrapper execs it): its memory is read before and after the stdin came.
        var run = sandbox.RunCommandAsync("grep VmRSS /proc/$PPID/status >&2; sleep 5; grep VmRSS /proc/$PPID/status >&2; wc -c", new CommandOptions
        {
            Stdin = CommandInput.FromStream(source),
            OnOutput = (chunk, _) =>
            {
                if (chunk.Source == OutputSource.Stderr)
                    lock (stderr)
                        stderr.Append(Encoding.UTF8.GetString(chunk.Data.Span));
                return ValueTask.CompletedTask;
            },
        }, Ct);
        (await Poll.UntilAsync(() => Task.FromResult(Read(stderr).Contains("VmRSS", StringComparison.Ordinal)), TimeSpan.FromSeconds(30))).ShouldBeTrue("the command did not start");
        // Time enough for 64 MiB to cross a local daemon several times over, were nothing holding it back.
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        var taken = source.Taken;
        var result = await run;

        taken.ShouldBeLessThan(4L * 1024 * 1024, "the client sent more stdin than the agent's window while the command did not read");
        result.ExitCode.ShouldBe(0);
        result.Stdout.Trim().ShouldBe(Size.ToString(CultureInfo.InvariantCulture));
        var rss = VmRss().Matches(Read(stderr)).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        rss.Count.ShouldBe(2, Read(stderr));
        (rss[1] - rss[0]).ShouldBeLessThan(16 * 1024, $"the agent grew by {rss[1] - rss[0]} kB while it held the command's unread stdin");
    }

    [Fact]
    public async Task A_slow_output_callback_holds_up_its_own_command_and_no_other()
    {
        var sandbox = await shared.GetAsync();
        var release = new TaskCompletionSource();
        var delivered = new MemoryStream();
        var calls = 0;

        // Output well past the agent's window: the agent stops reading it while the callback holds the first chunk.
        var slow = sandbox.RunCommandAsync(["seq", "1", "400000"], new CommandOptions
        {
            OnOutput = async (chunk, token) =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                    await release.Task.WaitAsync(token);
                lock (delivered)
                    delivered.Write(chunk.Data.Span);
            },
        }, Ct);
        try
        {
            (await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref calls) > 0), TimeSpan.FromSeconds(30))).ShouldBeTrue("the slow command sent no output");
            var clock = Stopwatch.StartNew();

            var quick = await sandbox.RunCommandAsync(["echo", "hi"], cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);

            quick.Stdout.ShouldBe("hi\n");
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
            // Held past the channel's silence bound (10 s): a slow caller is not a silent agent.
            await Task.Delay(TimeSpan.FromSeconds(12), Ct);
            slow.IsCompleted.ShouldBeFalse("the command finished while its output was held up");
            Volatile.Read(ref calls).ShouldBe(1);
        }
        finally
        {
            release.TrySetResult();
        }
        var result = await slow;

        var expected = string.Concat(Enumerable.Range(1, 400000).Select(i => $"{i}\n"));
        result.ExitCode.ShouldBe(0);
        (result.Stdout == expected).ShouldBeTrue("the command's output was not all there, in order");
        (Encoding.UTF8.GetString(delivered.ToArray()) == expected).ShouldBeTrue("the callback did not get all the output, in order");
    }

    private static string Read(StringBuilder text)
    {
        lock (text)
            return text.ToString();
    }

    [GeneratedRegex(@"VmRSS:\s+(\d+) kB")]
    private static partial Regex VmRss();

    /// <summary>A stream of <c>length</c> bytes that counts how much of it has been read.</summary>
    private sealed class CountingStream(long length) : Stream
    {
        private long _taken;

        public long Taken => Interlocked.Read(ref _taken);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => Taken;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Min(buffer.Length, length - Taken);
            buffer[..count].Fill((byte)'x');
            Interlocked.Add(ref _taken, count);
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
