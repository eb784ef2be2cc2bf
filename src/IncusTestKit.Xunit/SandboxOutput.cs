using System.Text;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>
/// Sends what a command prints to the running test's output, a line at a time, each prefixed with the sandbox's name
/// (<c>[name] </c> for stdout, <c>[name stderr] </c> for stderr), and passes the running test's cancellation token
/// into the call, so a cancelled or timed-out test kills its command.
/// </summary>
public static class SandboxOutput
{
    /// <summary>
    /// Runs a shell command line (<c>sh -c</c>) like <see cref="Sandbox.RunCommandAsync(string, CommandOptions?, CancellationToken)"/>,
    /// with its output in the running test's output. Without a running test it is a plain run.
    /// </summary>
    /// <param name="sandbox">Where to run it.</param>
    /// <param name="command">The command line.</param>
    /// <param name="options">How to run it; an <see cref="CommandOptions.OnOutput"/> of yours is called as well.</param>
    /// <param name="cancellationToken">Cancels the command; default: the running test's token.</param>
    public static Task<ExecResult> RunCommandInTestAsync(this Sandbox sandbox, string command, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        RunAsync(sandbox, options, (o, ct) => sandbox.RunCommandAsync(command, o, ct), cancellationToken);

    /// <summary>Runs a program with its arguments (no shell) like <see cref="Sandbox.RunCommandAsync(IReadOnlyList{string}, CommandOptions?, CancellationToken)"/>,
    /// with its output in the running test's output.</summary>
    /// <param name="sandbox">Where to run it.</param>
    /// <param name="argv">The program and its arguments.</param>
    /// <param name="options">How to run it; an <see cref="CommandOptions.OnOutput"/> of yours is called as well.</param>
    /// <param name="cancellationToken">Cancels the command; default: the running test's token.</param>
    public static Task<ExecResult> RunCommandInTestAsync(this Sandbox sandbox, IReadOnlyList<string> argv, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        RunAsync(sandbox, options, (o, ct) => sandbox.RunCommandAsync(argv, o, ct), cancellationToken);

    private static async Task<ExecResult> RunAsync(Sandbox sandbox, CommandOptions? options,
        Func<CommandOptions, CancellationToken, Task<ExecResult>> run, CancellationToken cancellationToken)
    {
        options ??= new CommandOptions();
        var context = TestContext.Current;
        if (cancellationToken == default)
            cancellationToken = context.CancellationToken;
        if (context.TestOutputHelper is not { } output)
            return await run(options, cancellationToken).ConfigureAwait(false);

        var stdout = new LineWriter(output, $"[{sandbox.Name}] ");
        var stderr = new LineWriter(output, $"[{sandbox.Name} stderr] ");
        var theirs = options.OnOutput;
        var routed = options with
        {
            OnOutput = async (chunk, ct) =>
            {
                (chunk.Source == OutputSource.Stdout ? stdout : stderr).Add(chunk.Data.Span);
                if (theirs is not null)
                    await theirs(chunk, ct).ConfigureAwait(false);
            },
        };
        try
        {
            return await run(routed, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            stdout.Flush();
            stderr.Flush();
        }
    }

    /// <summary>Cuts one stream's bytes into lines (a multi-byte character may span chunks) and writes each with a prefix.</summary>
    private sealed class LineWriter(ITestOutputHelper output, string prefix)
    {
        private readonly Lock _gate = new();
        private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
        private readonly StringBuilder _line = new();

        public void Add(ReadOnlySpan<byte> bytes)
        {
            lock (_gate)
            {
                var chars = new char[_decoder.GetCharCount(bytes, flush: false)];
                _decoder.GetChars(bytes, chars, flush: false);
                foreach (var c in chars)
                {
                    if (c == '\n')
                        WriteLine();
                    else if (c != '\r')
                        _line.Append(c);
                }
            }
        }

        public void Flush()
        {
            lock (_gate)
            {
                if (_line.Length > 0)
                    WriteLine();
            }
        }

        private void WriteLine()
        {
            TestLog.TryWrite(output, prefix + _line);
            _line.Clear();
        }
    }
}
