using Microsoft.Extensions.Logging;

namespace IncusTestKit.Shared;

/// <summary>
/// A logger that turns each SDK entry into one line of text (the message, then the exception's message) and hands it
/// on. Compiled into each package that routes the SDK's log into its host's output (xUnit test output, MSBuild build
/// log), so they agree on what an entry looks like.
/// </summary>
/// <param name="isEnabled">Which levels are written.</param>
/// <param name="write">Where a line goes, with its level.</param>
internal sealed class LineLogger(Func<LogLevel, bool> isEnabled, Action<LogLevel, string> write) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && isEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
            return;
        var text = formatter(state, exception);
        write(logLevel, exception is null ? text : $"{text}: {exception.Message}");
    }
}
