using System.Runtime.CompilerServices;
using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>
/// A <see cref="TheoryAttribute"/> for a data-driven test that needs Incus: each case is skipped at run time, with the
/// reason and the fix, when its sandbox cannot be had, and fails instead with <c>ISB_REQUIRE_INCUS=1</c>
/// (see <see cref="SandboxFactAttribute"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SandboxTheoryAttribute : TheoryAttribute
{
    /// <summary>Marks the method as a theory that needs Incus; the caller's file and line keep source links working.</summary>
    public SandboxTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        SkipExceptions = SandboxSkips.ExceptionTypes();
    }
}
