using System.Text;
using IncusTestKit.Exec;
using IncusTestKit.MSBuild.Tasks;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests.Tasks;

public sealed class OutputLinesSpecs
{
    private readonly List<string> _lines = [];

    private OutputLines Lines(int keep = 3) => new(_lines.Add, keep);

    private static OutputChunk Out(string text, OutputSource source = OutputSource.Stdout) => new(source, Encoding.UTF8.GetBytes(text));

    [Fact]
    public void A_line_split_across_chunks_and_a_character_split_across_chunks_come_out_whole()
    {
        var lines = Lines();
        var euro = Encoding.UTF8.GetBytes("€");
        lines.Add(Out("hel"));
        lines.Add(Out("lo\r\nprice: "));
        lines.Add(new OutputChunk(OutputSource.Stdout, euro.AsMemory(0, 1)));
        lines.Add(new OutputChunk(OutputSource.Stdout, euro.AsMemory(1)));
        lines.Add(Out("5\nno newline"));
        lines.Flush();

        _lines.ShouldBe(["hello", "price: €5", "no newline"]);
    }

    [Fact]
    public void Stdout_and_stderr_are_split_apart_so_interleaved_chunks_do_not_mix_lines()
    {
        var lines = Lines();
        lines.Add(Out("out-"));
        lines.Add(Out("err-", OutputSource.Stderr));
        lines.Add(Out("1\n"));
        lines.Add(Out("2\n", OutputSource.Stderr));

        _lines.ShouldBe(["out-1", "err-2"]);
    }

    [Fact]
    public void Terminal_escapes_from_the_sandbox_are_replaced_and_tabs_kept()
    {
        var lines = Lines();
        lines.Add(Out("\u001b]0;owned\u0007a\tb\u001b[2J\n"));

        _lines.ShouldBe(["\uFFFD]0;owned\uFFFDa\tb\uFFFD[2J"]);
    }

    [Fact]
    public void A_line_that_never_ends_is_cut_at_the_maximum_length()
    {
        var lines = Lines();
        lines.Add(Out(new string('x', OutputLines.MaxLineLength * 2 + 5)));
        lines.Flush();

        _lines.Select(l => l.Length).ShouldBe([OutputLines.MaxLineLength, OutputLines.MaxLineLength, 5]);
    }

    [Fact]
    public void Only_the_last_lines_are_kept_for_the_error_message()
    {
        var lines = Lines(keep: 2);
        lines.Add(Out("1\n2\n3\n4\n"));

        lines.Last.ShouldBe(["3", "4"]);
        _lines.Count.ShouldBe(4);
    }
}
