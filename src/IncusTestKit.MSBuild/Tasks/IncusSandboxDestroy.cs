using IncusTestKit.MSBuild.Session;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>
/// Destroys sandboxes (stopping them first, with their snapshots). A sandbox that is already gone is not an error,
/// so it is safe in cleanup paths.
/// </summary>
/// <example>
/// <code>&lt;IncusSandboxDestroy SandboxNames="$(MySandbox)" /&gt;</code>
/// </example>
public sealed class IncusSandboxDestroy : IncusSandboxTask
{
    /// <summary>The sandboxes to destroy.</summary>
    [Required]
    public string[] SandboxNames { get; set; } = [];

    /// <summary>The environment variable to clear (the one <see cref="IncusSandboxCreate.EnvironmentVariable"/> set), with
    /// its <c>_REMOTE</c> companion; empty for none.</summary>
    public string? EnvironmentVariable { get; set; }

    private protected override async Task ExecuteAsync(BuildSandboxes sandboxes, CancellationToken cancellationToken)
    {
        if (Blank(EnvironmentVariable) is { } variable)
        {
            Environment.SetEnvironmentVariable(variable, null);
            Environment.SetEnvironmentVariable(IncusSandboxCreate.RemoteVariable(variable), null);
        }
        foreach (var name in SandboxNames.Where(n => !string.IsNullOrWhiteSpace(n)))
        {
            var destroyed = await sandboxes.DestroyAsync(name.Trim(), Blank(Remote), cancellationToken).ConfigureAwait(false);
            Log.LogMessage(MessageImportance.Normal, destroyed ? "Sandbox {0} destroyed." : "Sandbox {0} was already gone.", name.Trim());
        }
    }
}
