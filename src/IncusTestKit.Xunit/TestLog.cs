using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>Where this package writes: the running test's output, else the diagnostic message sink.</summary>
internal static class TestLog
{
    /// <summary>Writes a line to the running test's output, or a diagnostic message when no test is running.</summary>
    public static void Write(string line)
    {
        var context = TestContext.Current;
        if (context.TestOutputHelper is { } output && TryWrite(output, line))
            return;
        context.SendDiagnosticMessage(line);
    }

    /// <summary>Writes a diagnostic message (fixture events: shown when diagnostic messages are on).</summary>
    public static void Diagnostic(string line) => TestContext.Current.SendDiagnosticMessage(line);

    /// <summary>Writes to a test's output; false when that test has already finished (its helper refuses).</summary>
    public static bool TryWrite(ITestOutputHelper output, string line)
    {
        try
        {
            output.WriteLine(line);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
