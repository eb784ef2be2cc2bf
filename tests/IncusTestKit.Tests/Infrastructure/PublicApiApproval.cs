using System.Reflection;
using System.Runtime.CompilerServices;
using PublicApiGenerator;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// Freezes an assembly's public API: renders it with PublicApiGenerator and compares it with the approved file
/// checked in beside the calling spec (<c>PublicApi/&lt;Assembly&gt;.approved.txt</c>). A change to the public
/// surface then fails here and shows as a diff of that file in review.
/// </summary>
internal static class PublicApiApproval
{
    /// <summary>Fails, writing <c>&lt;Assembly&gt;.received.txt</c> beside the approved file, when the API differs from it.</summary>
    /// <param name="assembly">The assembly whose public API is frozen.</param>
    /// <param name="callerFile">Filled in by the compiler: the spec's source file, next to whose folder the approved file lives.</param>
    public static void ShouldMatchApproved(Assembly assembly, [CallerFilePath] string callerFile = "")
    {
        var api = Normalize(assembly.GeneratePublicApi());
        var folder = Path.Combine(Path.GetDirectoryName(callerFile)!, "PublicApi");
        var name = assembly.GetName().Name;
        var approved = Path.Combine(folder, name + ".approved.txt");
        var received = Path.Combine(folder, name + ".received.txt");
        if (File.Exists(approved) && Normalize(File.ReadAllText(approved)) == api)
        {
            File.Delete(received);
            return;
        }
        Directory.CreateDirectory(folder);
        File.WriteAllText(received, api);
        Assert.Fail(File.Exists(approved)
            ? $"The public API of {name} changed. Compare {received} with {approved}; if the change is meant, accept it: cp '{received}' '{approved}'"
            : $"The public API of {name} has no approved file yet. Review {received}, then accept it: cp '{received}' '{approved}'");
    }

    // The file is compared as text, whatever line endings a checkout gives it.
    private static string Normalize(string text) => text.ReplaceLineEndings("\n").TrimEnd('\n') + "\n";
}
