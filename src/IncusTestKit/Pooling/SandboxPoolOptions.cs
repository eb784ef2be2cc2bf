namespace IncusTestKit.Pooling;

/// <summary>How a <see cref="SandboxPool"/> keeps its members. Every property has a default; <c>new SandboxPoolOptions()</c> works.</summary>
public sealed record SandboxPoolOptions
{
    /// <summary>How many ready members the pool keeps, counting those any process made for the same configuration. Default: 2.</summary>
    public int Size { get; init; } = 2;

    /// <summary>How many members this pool creates at once. Default: 2 (creates compete for the daemon with everything else).</summary>
    public int MaxConcurrentCreates { get; init; } = 2;

    /// <summary>What member names start with, before a hyphen and a random suffix. Default: <c>pool</c>.</summary>
    public string NamePrefix { get; init; } = "pool";

    /// <summary>
    /// Members outlive the pool and the process (made without auto-destroy, owned by no process), for short-lived
    /// processes such as <c>dotnet isb disp --pool</c> that fill the pool for the next one. Disposing the pool then waits
    /// up to 10 s for the members being created instead of abandoning them. Default: false, members are owned by this
    /// process until claimed, and destroyed with the pool, the client or the process.
    /// </summary>
    public bool KeepMembers { get; init; }
}
