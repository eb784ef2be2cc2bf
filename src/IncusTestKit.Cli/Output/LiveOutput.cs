using IncusTestKit.Exec;
using Microsoft.Win32.SafeHandles;

namespace IncusTestKit.Cli.Output;

/// <summary>
/// Copies a command's output to this process's standard output and error as it arrives: raw bytes (binary-safe),
/// flushed per chunk. When our own stdout is closed (<c>| head -1</c>) it stops the command, as SIGPIPE would.
/// </summary>
internal sealed class LiveOutput(CancellationTokenSource stopCommand) : IDisposable
{
    /// <summary>The exit code after our standard output was closed: 128 + SIGPIPE, as a shell reports it.</summary>
    public const int BrokenPipeExitCode = 141;

    private readonly Stream _stdout = OpenStandard(1);
    private readonly Stream _stderr = OpenStandard(2);

    /// <summary>Whether writing failed because the reader went away.</summary>
    public bool Broken { get; private set; }

    /// <summary>The callback for <see cref="CommandOptions.OnOutput"/>.</summary>
    public async ValueTask WriteAsync(OutputChunk chunk, CancellationToken cancellationToken)
    {
        if (Broken)
            return;
        var target = chunk.Source == OutputSource.Stdout ? _stdout : _stderr;
        try
        {
            await target.WriteAsync(chunk.Data, CancellationToken.None);
            await target.FlushAsync(CancellationToken.None);
        }
        catch (IOException)
        {
            Broken = true;
            await stopCommand.CancelAsync();
        }
    }

    // Console streams swallow EPIPE, so a reader that went away would go unnoticed; a plain stream on a pipe's
    // descriptor reports it. A file keeps the console stream: a FileStream would write at its own cached offset.
    private static Stream OpenStandard(int descriptor)
    {
        var console = descriptor == 1 ? Console.OpenStandardOutput() : Console.OpenStandardError();
        if (OperatingSystem.IsWindows())
            return console;
        var pipe = new FileStream(new SafeFileHandle(descriptor, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (pipe.CanSeek)
        {
            pipe.Dispose();
            return console;
        }
        console.Dispose();
        return pipe;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stdout.Dispose();
        _stderr.Dispose();
    }
}
