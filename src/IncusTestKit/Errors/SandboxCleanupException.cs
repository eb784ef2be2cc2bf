namespace IncusTestKit.Errors;

/// <summary>
/// Sandboxes a <see cref="Sandboxes.SandboxClient"/> owned (auto-destroy sandboxes still alive, or ones it was creating)
/// could not be destroyed when the client was disposed; they may still exist. The message names each one and the
/// command that destroys it.
/// </summary>
public sealed class SandboxCleanupException : IncusTestKitException
{
    /// <summary>Creates the error for the sandboxes that were left, each with what went wrong.</summary>
    public SandboxCleanupException(string project, IReadOnlyDictionary<string, Exception> failures)
        : base(SandboxErrorCode.CleanupFailed, Describe(project, failures), innerException: new AggregateException(failures.Values))
    {
        Failures = failures;
    }

    /// <summary>Each sandbox that may have been left behind, with why it could not be destroyed.</summary>
    public IReadOnlyDictionary<string, Exception> Failures { get; }

    /// <summary>The command that destroys a sandbox left behind.</summary>
    internal static string FixFor(string project, string name) =>
        project == "default" ? $"dotnet isb destroy {name}" : $"dotnet isb destroy --project {project} {name}";

    private static string Describe(string project, IReadOnlyDictionary<string, Exception> failures) =>
        $"{failures.Count} sandbox(es) could not be destroyed and may still exist: " +
        string.Join("; ", failures.Select(f => $"'{f.Key}' ({f.Value.Message.TrimEnd('.')}): {FixFor(project, f.Key)}")) + ".";
}
