using Microsoft.Extensions.Logging;

namespace IncusTestKit.Cli.Output;

/// <summary>
/// What <c>--verbose</c> turns on: every message of <see cref="LogLevel.Debug"/> and above as one line on standard error,
/// <c>isb: &lt;level&gt; &lt;category&gt;: &lt;message&gt;</c>, so standard output stays the verb's own. Our own few lines
/// instead of Microsoft.Extensions.Logging.Console, which would bring its hosting dependencies into the tool.
/// </summary>
internal sealed class StderrLoggerFactory : ILoggerFactory
{
    public static StderrLoggerFactory Instance { get; } = new();

    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The --verbose log writes to standard error only.");

    public void Dispose()
    {
    }

    private sealed class StderrLogger(string category) : ILogger
    {
        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Debug and < LogLevel.None;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            var line = $"isb: {Name(logLevel)} {category}: {formatter(state, exception)}";
            if (exception is not null)
                line += $": {exception.Message}";
            try
            {
                // One write per line: Console.Error is synchronized, so lines from parallel work never interleave.
                Console.Error.WriteLine(line);
            }
            catch (IOException)
            {
                // A closed standard error must not fail the verb it only describes.
            }
        }

        private static string Name(LogLevel level) => level switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "error",
            _ => "crit",
        };
    }
}
