using System.Text;
using IncusTestKit.Exec;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

/// <summary>What a command prints, as the test output gets it: the sandbox chooses the bytes, so they are bounded and defused.</summary>
public sealed class TestOutputCommandObserverSpecs
{
    private readonly RecordingOutput _output = new();

    [Fact]
    public void Lines_are_prefixed_per_stream_a_character_may_span_chunks_and_a_last_line_without_newline_comes_at_the_end()
    {
        var observer = new TestOutputCommandObserver(_output, "sb");
        var euro = Encoding.UTF8.GetBytes("€");

        observer.OnNext(Out("one\r\ntw"));
        observer.OnNext(new OutputChunk(OutputSource.Stdout, euro.AsMemory(0, 1)));
        observer.OnNext(new OutputChunk(OutputSource.Stderr, Encoding.UTF8.GetBytes("err\n")));
        observer.OnNext(new OutputChunk(OutputSource.Stdout, euro.AsMemory(1)));
        _output.Lines.ShouldBe(["[sb] one", "[sb stderr] err"]);

        observer.OnCompleted();

        _output.Lines.ShouldBe(["[sb] one", "[sb stderr] err", "[sb] tw€"]);
    }

    [Fact]
    public void Terminal_control_characters_are_shown_escaped_and_tabs_kept()
    {
        var observer = new TestOutputCommandObserver(_output, "sb");

        observer.OnNext(Out("\u001b]0;owned\u0007\u001b[2Jtext\tcol\u009b\n"));

        _output.Lines.ShouldBe([@"[sb] \x1b]0;owned\x07\x1b[2Jtext" + "\tcol" + @"\x9b"]);
    }

    [Fact]
    public void A_line_that_never_ends_is_cut_and_a_flood_is_shown_only_up_to_the_bound_then_counted()
    {
        var observer = new TestOutputCommandObserver(_output, "sb");
        var chunk = new string('a', 64 * 1024);
        var sent = 0L;

        while (sent < 3L * TestOutputCommandObserver.MaxShown)
        {
            observer.OnNext(Out(chunk));
            sent += chunk.Length;
        }
        observer.OnError(new InvalidOperationException("it was killed"));

        _output.Lines.Take(_output.Lines.Count - 1).ShouldAllBe(line => line.Length == "[sb] ".Length + TestOutputCommandObserver.MaxLine);
        _output.Lines.Sum(line => (long)line.Length).ShouldBeLessThan(TestOutputCommandObserver.MaxShown + 64 * 1024);
        _output.Lines[^1].ShouldBe($"[sb] ... {sent - TestOutputCommandObserver.MaxShown} more characters not shown (the command's result has what its output limit kept)");
    }

    private static OutputChunk Out(string text) => new(OutputSource.Stdout, Encoding.UTF8.GetBytes(text));

    private sealed class RecordingOutput : ITestOutputHelper
    {
        public List<string> Lines { get; } = [];

        public string Output => string.Join('\n', Lines);

        public void Write(string message) => throw new NotSupportedException();

        public void Write(string format, params object[] args) => throw new NotSupportedException();

        public void WriteLine(string message) => Lines.Add(message);

        public void WriteLine(string format, params object[] args) => throw new NotSupportedException();
    }
}
