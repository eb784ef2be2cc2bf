namespace IncusTestKit.Client.Models;

/// <summary>A snapshot as <c>GET /1.0/instances/{name}/snapshots?recursion=1</c> returns it.</summary>
internal sealed record InstanceSnapshot
{
    public string Name { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary><c>0001-01-01T00:00:00Z</c> means it never expires.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    public bool Stateful { get; init; }
    public long Size { get; init; }
}

/// <summary>Body of <c>POST /1.0/instances/{name}/snapshots</c>; without a name the daemon picks the next free <c>snapN</c>.</summary>
internal sealed record InstanceSnapshotsPost(string? Name, bool Stateful = false);

/// <summary>Body of <c>PUT /1.0/instances/{name}</c> in restore mode (every other field is ignored).</summary>
internal sealed record InstanceRestorePut(string Restore);
