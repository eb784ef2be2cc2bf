using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using IncusTestKit.AgentProtocol;
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

    [Fact]
    public async Task A_callback_that_throws_fails_its_own_command_whose_output_is_still_taken_so_it_runs_to_its_end()
    {
        var sandbox = await shared.GetAsync();
        var done = $"/tmp/isbt-done-{Guid.NewGuid():N}";

        // Output well past the agent's window: were it no longer taken, the command would wait on its pipe for ever.
        var error = await Should.ThrowAsync<InvalidOperationException>(() => sandbox.RunCommandAsync(["sh", "-c", "seq 1 400000; touch \"$0\"", done],
            new CommandOptions { OnOutput = (_, _) => throw new InvalidOperationException("the caller's own failure") }, Ct));

        error.Message.ShouldBe("the caller's own failure");
        (await sandbox.RunCommandAsync(["echo", "hi"], cancellationToken: Ct)).Stdout.ShouldBe("hi\n");
        (await Poll.UntilAsync(async () => (await sandbox.RunCommandAsync(["test", "-e", done], cancellationToken: Ct)).ExitCode == 0, TimeSpan.FromSeconds(30)))
            .ShouldBeTrue("the command did not run to its end once its callback had thrown");
        await sandbox.RunCommandAsync(["rm", "-f", done], cancellationToken: Ct);
    }

    // A client is the sandbox's peer, not the agent's master: one that sends past its stdin window would have the agent
    // hold what it likes, so the agent takes it for garbage and ends (with what it started).
    [Fact]
    public async Task The_agent_ends_when_a_client_sends_stdin_past_its_window()
    {
        var sandbox = await shared.GetAsync();
        var path = $"/run/isbt-agent-{Guid.NewGuid():N}";
        await sandbox.Client.Incus.Files.WriteAsync(sandbox.Name, path, new ByteArrayContent(AgentBinary.Get()!), 0, 0, Convert.ToInt32("700", 8), Ct);
        var frames = new MemoryStream();
        await using var agent = await new DaemonExecChannel(sandbox.Client.Incus, sandbox.Name).StartAsync(new ExecStart([path], 0, 0, "/", []),
            (source, data) =>
            {
                if (source == OutputSource.Stdout)
                    lock (frames)
                        frames.Write(data.Span);
                return ValueTask.CompletedTask;
            }, () => { }, "a raw agent", Ct);

        await agent.WriteStdinAsync(Frame(AgentFrames.Start, 1, new StartRequest(0, 0, "/", "", ["sleep", "60"], []).Encode()), Ct);
        var chunk = new byte[AgentFrames.ChunkSize];
        for (var sent = 0; sent < AgentFrames.StdinWindow; sent += chunk.Length)
            await agent.WriteStdinAsync(Frame(AgentFrames.Stdin, 1, chunk), Ct);
        await agent.WriteStdinAsync(Frame(AgentFrames.Ping, 0, []), Ct);
        (await Poll.UntilAsync(() => Task.FromResult(FramesIn(frames).Any(f => f.Kind == AgentFrames.Pong)), TimeSpan.FromSeconds(15)))
            .ShouldBeTrue("the agent did not answer while the client kept within its window");
        agent.Exited.IsCompleted.ShouldBeFalse();

        // One byte past the window, counting what the pipe took (and the agent gave back) before the command stopped reading.
        var extra = 0;
        var ended = await Poll.UntilAsync(async () =>
        {
            var more = FramesIn(frames).Where(f => f.Kind == AgentFrames.StdinAck).Sum(f => BitConverter.ToInt32(f.Payload)) + 1 - extra;
            if (!agent.Exited.IsCompleted && more > 0)
            {
                await agent.WriteStdinAsync(Frame(AgentFrames.Stdin, 1, new byte[more]), Ct);
                extra += more;
            }
            return agent.Exited.IsCompleted;
        }, TimeSpan.FromSeconds(15));

        ended.ShouldBeTrue("the agent went on after the client sent past its window");
        (await agent.Exited).ShouldBe(0);
        FramesIn(frames).ShouldNotContain(f => f.Kind == AgentFrames.Exit, "the command's exit was reported as if the stream were sound");
    }

    private static byte[] Frame(byte kind, uint id, byte[] payload)
    {
        var frame = new byte[AgentFrames.HeaderSize + payload.Length];
        AgentFrames.WriteHeader(frame, kind, id, payload.Length);
        payload.CopyTo(frame.AsSpan(AgentFrames.HeaderSize));
        return frame;
    }

    private static List<(byte Kind, byte[] Payload)> FramesIn(MemoryStream stream)
    {
        byte[] bytes;
        lock (stream)
            bytes = stream.ToArray();
        var frames = new List<(byte, byte[])>();
        for (var at = 0; bytes.Length - at >= AgentFrames.HeaderSize && AgentFrames.TryReadHeader(bytes.AsSpan(at), out var kind, out _, out var length)
            && bytes.Length - at - AgentFrames.HeaderSize >= length; at += AgentFrames.HeaderSize + length)
            frames.Add((kind, bytes.AsSpan(at + AgentFrames.HeaderSize, length).ToArray()));
        return frames;
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
