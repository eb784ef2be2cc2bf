namespace IncusTestKit.Sandboxes;

/// <summary>Resource limits of a sandbox. Sizes use Incus's units: <c>512MiB</c>, <c>2GiB</c>, <c>500MB</c>.</summary>
public sealed record SandboxLimits
{
    /// <summary>The default limits: 512MiB of memory, a 10GiB root disk, 1000 processes, no CPU limit.</summary>
    public static SandboxLimits Default { get; } = new();

    /// <summary>How many CPUs the sandbox may use; null for no limit.</summary>
    public int? Cpu { get; init; }

    /// <summary>The memory limit (default <c>512MiB</c>); null for no limit.</summary>
    public string? Memory { get; init; } = "512MiB";

    /// <summary>The root disk size (default <c>10GiB</c>; enforced on btrfs and zfs pools, not on dir); null for the pool's default.</summary>
    public string? Disk { get; init; } = "10GiB";

    /// <summary>
    /// How many processes and threads the sandbox may have at once (Incus <c>limits.processes</c>, the cgroup's
    /// <c>pids.max</c>); null for no limit. Default: 1000, so a fork bomb fails inside its sandbox ("can't fork",
    /// EAGAIN) while the host and other sandboxes keep running. Threads count: a build that fits in the default
    /// 512MiB of memory uses a few hundred; raise it with the memory for large parallel builds.
    /// While a sandbox is at its limit even an exec into it fails, until some of its processes end.
    /// </summary>
    public int? Processes { get; init; } = 1000;
}
