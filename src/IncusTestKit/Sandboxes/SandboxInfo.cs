using IncusTestKit.Exec;

namespace IncusTestKit.Sandboxes;

/// <summary>What a sandbox is, as listed: cheap to get for many at once.</summary>
public sealed record SandboxInfo
{
    /// <summary>The instance name.</summary>
    public required string Name { get; init; }

    /// <summary>The Incus project it lives in.</summary>
    public required string Project { get; init; }

    /// <summary>Container or virtual machine.</summary>
    public required SandboxType Type { get; init; }

    /// <summary>Its run state when it was read.</summary>
    public required SandboxState State { get; init; }

    /// <summary>
    /// The image it was created from: as the user named it when IncusTestKit created it; for other instances, an alias
    /// of the image they were created from, else that image's description.
    /// </summary>
    public string? Image { get; init; }

    /// <summary>Its first global IPv4 address, when running on a network.</summary>
    public string? IPv4Address { get; init; }

    /// <summary>Whether the daemon deletes it when it stops.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>Whether IncusTestKit created it (it carries the ownership labels).</summary>
    public bool ManagedByIncusTestKit { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The cluster member it is on; null on a server that is not clustered.</summary>
    public string? Location { get; init; }

    /// <summary>The user's labels (<c>user.*</c> config, without the prefix and without IncusTestKit's own).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// How many processes run inside it (a frozen sandbox's count too); null when it is stopped, or when the daemon
    /// cannot tell (a virtual machine without its agent).
    /// </summary>
    public int? Processes { get; init; }

    /// <summary>
    /// The memory it uses, in bytes (for a container, its cgroup's <c>memory.current</c>: page cache included); null when it is stopped, or when the
    /// daemon cannot tell.
    /// </summary>
    public long? MemoryUsage { get; init; }

    /// <summary>
    /// How its commands reach it, as it was created (<see cref="SandboxOptions.ExecChannel"/>): the daemon, or the exec
    /// agent where the image can run it. <see cref="Sandbox.GetExecChannelAsync"/> says which one a handle uses.
    /// </summary>
    public ExecChannel ExecChannel { get; init; }
}
