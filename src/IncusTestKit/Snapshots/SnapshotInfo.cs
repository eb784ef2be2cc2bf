using IncusTestKit.Client.Models;

namespace IncusTestKit.Snapshots;

/// <summary>One snapshot of a sandbox: its root filesystem and configuration at a moment.</summary>
public sealed record SnapshotInfo
{
    /// <summary>The snapshot's name, unique within its sandbox.</summary>
    public required string Name { get; init; }

    /// <summary>When it was taken.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Whether it also holds the running processes' memory (IncusTestKit takes stateless snapshots).</summary>
    public required bool Stateful { get; init; }

    /// <summary>When the daemon deletes it by itself; null when it never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    internal static SnapshotInfo From(InstanceSnapshot snapshot) => new()
    {
        Name = snapshot.Name,
        CreatedAt = snapshot.CreatedAt,
        Stateful = snapshot.Stateful,
        // The daemon spells "never" as the zero time.
        ExpiresAt = snapshot.ExpiresAt.Year <= 1 ? null : snapshot.ExpiresAt,
    };
}
