using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>One message a client logged: where from, how severe, which event, the text and its structured values.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message,
    IReadOnlyList<KeyValuePair<string, object?>> Values, Exception? Exception)
{
    public object? this[string name] => Values.FirstOrDefault(v => v.Key == name).Value;

    public override string ToString() => $"{Level} {Category} [{EventId.Id}] {Message}";
}

/// <summary>A logger factory that keeps every message, for tests to look at; thread-safe.</summary>
public sealed class CapturingLoggerFactory(LogLevel minimum = LogLevel.Trace) : ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    /// <summary>The least severe level kept; below it the loggers say they are disabled.</summary>
    public LogLevel Minimum { get; } = minimum;

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IReadOnlyList<LogEntry> OfEvent(int id) => [.. _entries.Where(e => e.EventId.Id == id)];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(string category, CapturingLoggerFactory owner) : ILogger
    {
        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.Minimum && logLevel != LogLevel.None;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            owner._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), [.. values], exception));
        }
    }
}
