using IncusTestKit.Errors;

namespace IncusTestKit.Xunit;

/// <summary>Which failures mean "no sandbox can be had here" (a skip) rather than a broken test.</summary>
internal static class SandboxSkips
{
    /// <summary>The variable that turns those skips into failures (CI, where Incus must be there).</summary>
    public const string RequireVariable = "ISB_REQUIRE_INCUS";

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>
    /// The exception types xUnit turns into a skip (it matches the exact type). Reading an environment variable is all
    /// this does, so discovery stays free of daemon calls.
    /// </summary>
    public static Type[] ExceptionTypes() => Required
        ? []
        : [typeof(SandboxUnavailableException), typeof(IncusUnavailableException), typeof(ImageNotFoundException), typeof(UnsupportedInstanceTypeException)];

    /// <summary>Whether a failure to get a sandbox is one of the "not here" kind.</summary>
    public static bool IsUnavailable(Exception e) =>
        e is IncusUnavailableException or ImageNotFoundException or UnsupportedInstanceTypeException or SandboxUnavailableException;
}
