using IncusTestKit.Errors;

namespace IncusTestKit.Xunit;

/// <summary>Which failures mean "no sandbox can be had here" (a skip) rather than a broken test.</summary>
internal static class SandboxSkips
{
    /// <summary>The variable that turns those skips into failures (CI, where Incus must be there).</summary>
    public const string RequireVariable = "ISB_REQUIRE_INCUS";

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>
    /// The exception types xUnit turns into a skip. xUnit matches the exact type, not subtypes: so an
    /// <see cref="IncusTrustException"/> (a remote server or this client refused: possibly someone in between) fails the
    /// test although it is an <see cref="IncusUnavailableException"/>. Reading an environment variable is all this
    /// does, so discovery stays free of daemon calls.
    /// </summary>
    public static Type[] ExceptionTypes() => Required
        ? []
        : [typeof(SandboxUnavailableException), typeof(IncusUnavailableException), typeof(ImageNotFoundException), typeof(UnsupportedInstanceTypeException)];

    /// <summary>Whether a failure to get a sandbox is one of the "not here" kind; a refused certificate is not.</summary>
    public static bool IsUnavailable(Exception e) =>
        e is IncusUnavailableException and not IncusTrustException or ImageNotFoundException or UnsupportedInstanceTypeException or SandboxUnavailableException;
}
