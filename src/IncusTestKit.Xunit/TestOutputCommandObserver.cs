using System.Globalization;
using System.Text;
using IncusTestKit.Exec;
using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>
/// Copies what one command prints into the output of the test that ran it, a line at a time, each prefixed with the
/// sandbox's name (<c>[name] </c> for stdout, <c>[name stderr] </c> for stderr); a last line without a newline is
/// written when the command ends. The shared client makes one per command run inside a test
/// (see <see cref="Configuration.SandboxClientOptions.CommandOutputObserver"/>).
/// </summary>
/// <remarks>
/// What a command prints is the sandbox's to choose, and the test output is kept in memory and shown in terminals: so a
/// line is cut every <see cref="MaxLine"/> characters, each stream shows at most <see cref="MaxShown"/> characters (the
/// rest is counted and said at the end; the command's result has what its output limit kept), and control characters
/// other than tab are shown escaped (<c>\x1b</c>), never sent to a terminal.
/// </remarks>
internal sealed class TestOutputCommandObserver(ITestOutputHelper output, string sandboxName) : IObserver<OutputChunk>
{
    private readonly LineWriter _stdout = new(output, $"[{sandboxName}] ");
    private readonly LineWriter _stderr = new(output, $"[{sandboxName} stderr] ");

    /// <summary>An observer for a command that starts now: null outside a test (a fixture starting, say).</summary>
    public static IObserver<OutputChunk>? ForRunningTest(string sandboxName) =>
        TestContext.Current.TestOutputHelper is { } output ? new TestOutputCommandObserver(output, sandboxName) : null;

    public void OnNext(OutputChunk value) => (value.Source == OutputSource.Stdout ? _stdout : _stderr).Add(value.Data.Span);

    public void OnCompleted()
    {
        _stdout.Flush();
        _stderr.Flush();
    }

    public void OnError(Exception error) => OnCompleted();

    /// <summary>The longest line written; a longer one goes on in the next line.</summary>
    internal const int MaxLine = 16 * 1024;

    /// <summary>The most characters of one stream of one command written to the test's output.</summary>
    internal const int MaxShown = 1024 * 1024;

    /// <summary>Cuts one stream's bytes into lines (a multi-byte character may span chunks) and writes each with a prefix.</summary>
    private sealed class LineWriter(ITestOutputHelper output, string prefix)
    {
        private readonly Lock _gate = new();
        private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
        private readonly StringBuilder _line = new();
        private long _shown;
        private long _notShown;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            lock (_gate)
            {
                var chars = new char[_decoder.GetCharCount(bytes, flush: false)];
                _decoder.GetChars(bytes, chars, flush: false);
                foreach (var c in chars)
                {
                    if (_shown >= MaxShown)
                        _notShown++;
                    else if (c == '\n')
                        WriteLine();
                    else if (c != '\r')
                        Append(c);
                }
            }
        }

        public void Flush()
        {
            lock (_gate)
            {
                if (_line.Length > 0)
                    WriteLine();
                if (_notShown > 0)
                    TestLog.TryWrite(output, $"{prefix}... {_notShown} more characters not shown (the command's result has what its output limit kept)");
            }
        }

        private void Append(char c)
        {
            _shown++;
            if (char.IsControl(c) && c != '\t')
                _line.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else
                _line.Append(c);
            if (_line.Length >= MaxLine)
                WriteLine();
        }

        private void WriteLine()
        {
            TestLog.TryWrite(output, prefix + _line);
            _line.Clear();
        }
    }
}
