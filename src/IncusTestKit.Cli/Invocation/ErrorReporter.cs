using IncusTestKit.Cli.Output;
using IncusTestKit.Errors;

namespace IncusTestKit.Cli.Invocation;

/// <summary>
/// The one place where failures become what a person reads: <c>error: &lt;message&gt;</c> on standard error, a
/// <c>hint:</c> line where there is something more to say, and exit code 1. Expected failures never show a stack trace.
/// </summary>
internal static class ErrorReporter
{
    /// <summary>The exit code of every error.</summary>
    public const int ErrorExitCode = 1;

    /// <summary>The exit code after Ctrl-C (128 + SIGINT), as shells report it.</summary>
    public const int CancelledExitCode = 130;

    /// <summary>Runs a verb's body and turns the expected failures into an error line and exit code 1.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return CancelledExitCode;
        }
        catch (Exception e) when (Describe(e) is { } error)
        {
            return Report(error.Message, error.Hint);
        }
    }

    /// <summary>Prints an error (and a hint) and returns the error exit code.</summary>
    public static int Report(string message, string? hint = null) => Report([message], hint);

    /// <summary>Prints one <c>error:</c> line per message, then the hint, and returns the error exit code.</summary>
    public static int Report(IReadOnlyList<string> messages, string? hint)
    {
        var color = Terminal.ErrorColor;
        foreach (var message in messages)
            Console.Error.WriteLine(color ? $"\u001b[31merror:\u001b[0m {message}" : $"error: {message}");
        if (hint is not null)
            Console.Error.WriteLine(color ? $"\u001b[2mhint:\u001b[0m {hint}" : $"hint: {hint}");
        return ErrorExitCode;
    }

    /// <summary>The message and hint for an expected failure; null for a bug, which keeps its stack trace.</summary>
    public static (string Message, string? Hint)? Describe(Exception e) => e switch
    {
        IncusUnavailableException u => (u.Message, u.Reason == IncusUnavailableReason.SocketMissing
            ? "Choose the socket with --socket PATH or INCUS_SOCKET; check the daemon with: incus info"
            : u.Waited is not null
                ? "Give a daemon that is only slow longer with --daemon-timeout (for example 2m) or ISB_DAEMON_TIMEOUT (seconds)"
                : null),
        IncusTestKitException x => (x.Message, null),
        ArgumentException a => (WithoutParameterName(a), null),
        FormatException f => (f.Message, null),
        FileNotFoundException f => ($"The file '{f.FileName}' does not exist.", null),
        DirectoryNotFoundException d => (d.Message, null),
        UnauthorizedAccessException d => (d.Message, null),
        _ => null,
    };

    // "... (Parameter 'options')" is for programmers; a person needs only the sentence.
    private static string WithoutParameterName(ArgumentException e) =>
        e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
}
