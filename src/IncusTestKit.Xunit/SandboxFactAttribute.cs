using System.Runtime.CompilerServices;
using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>
/// A <see cref="FactAttribute"/> for a test that needs Incus. Nothing is probed when tests are discovered; when the test
/// runs and its sandbox cannot be had (the daemon is unreachable, the image is missing, a virtual machine is asked for
/// on a host without VM support), the test is skipped with the reason and the fix. With <c>ISB_REQUIRE_INCUS=1</c>
/// (CI) it fails instead. A remote server whose certificate is refused, or that refuses this client's
/// (<see cref="IncusTestKit.Errors.IncusTrustException"/>), always fails the test: that is not a missing daemon.
/// </summary>
/// <example>
/// <code>
/// public class BuildTests(RepositorySandbox repo) : IClassFixture&lt;RepositorySandbox&gt;
/// {
///     [SandboxFact]
///     public async Task Make_test_passes() =&gt;
///         (await repo.RunCommandAsync("make test", new() { WorkingDirectory = "/workspace" })).EnsureSuccess();
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SandboxFactAttribute : FactAttribute
{
    /// <summary>Marks the method as a test that needs Incus; the caller's file and line keep source links working.</summary>
    public SandboxFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        SkipExceptions = SandboxSkips.ExceptionTypes();
    }
}
