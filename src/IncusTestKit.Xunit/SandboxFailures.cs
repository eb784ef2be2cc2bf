namespace IncusTestKit.Xunit;

/// <summary>Turns the error that kept a fixture from its sandbox into what each test that uses it is given.</summary>
internal static class SandboxFailures
{
    /// <summary>
    /// A new exception per test (one exception object thrown from many tests at once would mix their stack traces),
    /// carrying the original as its inner exception.
    /// </summary>
    public static Exception Wrap(Exception failure, string owner) =>
        SandboxSkips.IsUnavailable(failure)
            ? new SandboxUnavailableException(
                $"{failure.Message} ({owner} has no sandbox; " +
                (SandboxSkips.Required
                    ? $"this is a failure because {SandboxSkips.RequireVariable}=1 is set: unset it to skip instead.)"
                    : $"set {SandboxSkips.RequireVariable}=1 to make this a failure instead of a skip.)"), failure)
            : new SandboxFixtureException($"{owner} could not start its sandbox: {failure.Message}", failure);
}
