using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;

[assembly: AssemblyFixture(typeof(IncusTestKit.Xunit.Probe.AssemblyBusybox))]

namespace IncusTestKit.Xunit.Probe;

// Every sandbox the probe makes is named isbt-xp-*, so the specs (and a reaper) can find leftovers.

public sealed class Busybox() : SandboxFixture(new SandboxOptions { Image = "isb/busybox" })
{
    protected override string NamePrefix => "isbt-xp";
}

public sealed class AssemblyBusybox() : SandboxFixture(new SandboxOptions { Image = "isb/busybox" })
{
    protected override string NamePrefix => "isbt-xp";
}

public sealed class CollectionBusybox() : SandboxFixture(new SandboxOptions { Image = "isb/busybox", Labels = new Dictionary<string, string> { ["probe"] = "collection" } })
{
    protected override string NamePrefix => "isbt-xp";
}

public sealed class MissingImage() : SandboxFixture(new SandboxOptions { Image = "isb/no-such-image" })
{
    protected override string NamePrefix => "isbt-xp";
}

public sealed class BrokenMount() : SandboxFixture(new SandboxOptions
{
    Image = "isb/busybox",
    Mounts = [new MountOptions("/nonexistent/isbt-probe-folder", "/mnt/probe")],
})
{
    protected override string NamePrefix => "isbt-xp";
}

/// <summary>The repository named by ISB_REPOSITORY, or found above the probe's folder.</summary>
public sealed class Repository() : RepositorySandbox(new SandboxOptions { Image = "isb/busybox" })
{
    protected override string NamePrefix => "isbt-xp";
}

[CollectionDefinition("shared")]
public sealed class SharedCollection : ICollectionFixture<CollectionBusybox>;

/// <summary>A busybox sandbox shared by every probe run given the same ISB_PROBE_REUSE (it is a label, so part of the key).</summary>
public sealed class ReusedBusybox() : SandboxFixture(new SandboxOptions
{
    Image = "isb/busybox",
    Labels = new Dictionary<string, string> { ["probe"] = Environment.GetEnvironmentVariable("ISB_PROBE_REUSE") ?? "reuse" },
})
{
    protected override Sharing.SharedSandboxOptions? Reuse => new() { NamePrefix = "isbt-xp-reuse" };
}
