using IncusTestKit.Shared;
using Microsoft.Extensions.Logging;
using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>
/// Routes the SDK's log (see <see cref="Configuration.SandboxClientOptions.LoggerFactory"/>) into xUnit: an entry written
/// while a test runs goes to that test's output; one written outside a test (a fixture starting or stopping) goes to
/// the diagnostic message sink, which runners show when diagnostic messages are on
/// (<c>"diagnosticMessages": true</c> in <c>xunit.runner.json</c>). Entries below <see cref="LogLevel.Information"/>
/// are dropped.
/// </summary>
public sealed class TestOutputLoggerFactory : ILoggerFactory
{
    /// <summary>The factory the shared client uses.</summary>
    public static TestOutputLoggerFactory Instance { get; } = new();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) =>
        new LineLogger(level => level >= LogLevel.Information, (level, text) => TestLog.Write($"[isb {level}] {text}"));

    /// <summary>Not supported: everything goes to xUnit.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("TestOutputLoggerFactory writes to xUnit only; make your own factory to add providers.");

    /// <summary>Nothing to release.</summary>
    public void Dispose()
    {
    }
}
