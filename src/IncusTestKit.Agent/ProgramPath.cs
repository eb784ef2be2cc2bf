using System.Runtime.InteropServices;

namespace IncusTestKit.Agent;

/// <summary>Finds the file a command names, as <c>execvp</c> and shells do: a name with a slash as is (from the working directory), any other on PATH.</summary>
internal static partial class ProgramPath
{
    // What glibc's execvp searches when PATH is unset.
    private const string DefaultPath = "/bin:/usr/bin";

    private const int ExecuteOk = 1;

    /// <summary>The full path of the program, or null when there is none to run (the client reports "command not found").</summary>
    public static string? Resolve(string program, string workingDirectory, string? path)
    {
        if (program.Length == 0)
            return null;
        if (program.Contains('/'))
        {
            var file = Path.Combine(workingDirectory, program);
            return File.Exists(file) ? file : null;
        }
        foreach (var directory in (path ?? DefaultPath).Split(':'))
        {
            // An empty entry is the working directory, as in any shell.
            var candidate = Path.Combine(workingDirectory, directory, program);
            if (File.Exists(candidate) && Access(candidate, ExecuteOk) == 0)
                return candidate;
        }
        return null;
    }

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}
