using IncusTestKit.MSBuild.Session;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>Takes a snapshot of a sandbox (its snapshots go when it is destroyed).</summary>
/// <example>
/// <code>&lt;IncusSandboxSnapshot SandboxName="$(MySandbox)" SnapshotName="after-restore" /&gt;</code>
/// </example>
public sealed class IncusSandboxSnapshot : IncusSandboxTask
{
    /// <summary>The sandbox.</summary>
    [Required]
    public string SandboxName { get; set; } = "";

    /// <summary>The snapshot's name; empty for a generated one. On output, the name it got.</summary>
    [Output]
    public string? SnapshotName { get; set; }

    private protected override async Task ExecuteAsync(BuildSandboxes sandboxes, CancellationToken cancellationToken)
    {
        var sandbox = await sandboxes.GetAsync(SandboxName, Blank(Remote), cancellationToken).ConfigureAwait(false);
        var snapshot = await sandbox.CreateSnapshotAsync(Blank(SnapshotName), cancellationToken).ConfigureAwait(false);
        SnapshotName = snapshot.Name;
        Log.LogMessage(MessageImportance.Normal, "Snapshot {0} of sandbox {1} taken.", snapshot.Name, SandboxName);
    }
}
