using IncusTestKit.Shared;
using Microsoft.Build.Utilities;
using Microsoft.Extensions.Logging;

namespace IncusTestKit.MSBuild.Session;

/// <summary>
/// Routes the SDK's log into the build log of the task that is running: an entry is written to the log of the task
/// whose work wrote it (the task is found through the async flow), as a low-importance message whatever its level (the
/// task itself reports what fails, with its code). Entries written after that task ended are dropped:
/// MSBuild does not accept messages from a finished task.
/// </summary>
internal sealed class TaskLoggerFactory : ILoggerFactory
{
    private static readonly AsyncLocal<TaskLogTarget?> Current = new();

    public static TaskLoggerFactory Instance { get; } = new();

    /// <summary>Sends what the SDK logs from here on, in this async flow, to <paramref name="log"/>; disposing stops it.</summary>
    public static IDisposable RouteTo(TaskLoggingHelper log)
    {
        var target = new TaskLogTarget(log);
        Current.Value = target;
        return target;
    }

    public ILogger CreateLogger(string categoryName) =>
        new LineLogger(level => level >= LogLevel.Information && Current.Value is not null, (_, text) => Current.Value?.Write("isb: " + text));

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("The MSBuild tasks log to the build only.");

    public void Dispose()
    {
    }

    private sealed class TaskLogTarget(TaskLoggingHelper log) : IDisposable
    {
        private readonly Lock _gate = new();
        private TaskLoggingHelper? _log = log;

        public void Write(string text)
        {
            lock (_gate)
                _log?.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "{0}", text);
        }

        public void Dispose()
        {
            lock (_gate)
                _log = null;
        }
    }
}
