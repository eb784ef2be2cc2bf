using System.Text;
using IncusTestKit.Exec;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>
/// Turns a command's output chunks into lines as they come, one decoder per stream (a chunk may end inside a line or
/// inside a character), and keeps the last few lines to quote when the command fails. What the sandbox prints is its
/// own: control characters (terminal escapes) are replaced so they cannot act on the terminal that shows the build
/// log, and a line longer than <see cref="MaxLineLength"/> is cut into several.
/// </summary>
internal sealed class OutputLines(Action<string> onLine, int keep)
{
    public const int MaxLineLength = 4096;

    private readonly StreamLine _stdout = new(), _stderr = new();
    private readonly Queue<string> _last = new();
    private readonly Lock _gate = new();

    /// <summary>The last lines, oldest first.</summary>
    public IReadOnlyList<string> Last
    {
        get
        {
            lock (_gate)
                return [.. _last];
        }
    }

    public void Add(OutputChunk chunk)
    {
        lock (_gate)
            Split(chunk.Source == OutputSource.Stderr ? _stderr : _stdout, chunk.Data.Span, flush: false);
    }

    /// <summary>Emits what is left of an unfinished last line.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            Split(_stdout, [], flush: true);
            Split(_stderr, [], flush: true);
        }
    }

    private void Split(StreamLine stream, ReadOnlySpan<byte> data, bool flush)
    {
        var chars = new char[stream.Decoder.GetCharCount(data, flush)];
        stream.Decoder.GetChars(data, chars, flush);
        foreach (var c in chars)
        {
            if (c == '\n')
                Emit(stream.Line);
            else if (c != '\r')
            {
                stream.Line.Append(char.IsControl(c) && c != '\t' ? '\uFFFD' : c);
                if (stream.Line.Length == MaxLineLength)
                    Emit(stream.Line);
            }
        }
        if (flush && stream.Line.Length > 0)
            Emit(stream.Line);
    }

    private void Emit(StringBuilder line)
    {
        var text = line.ToString();
        line.Clear();
        onLine(text);
        _last.Enqueue(text);
        if (_last.Count > keep)
            _last.Dequeue();
    }

    /// <summary>One stream's decoder and its unfinished line.</summary>
    private sealed class StreamLine
    {
        public Decoder Decoder { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();

        public StringBuilder Line { get; } = new();
    }
}
