namespace IncusTestKit.Sharing;

/// <summary>How a shared sandbox is found or made by <see cref="Sandboxes.SandboxClient.AcquireSharedAsync"/>.</summary>
public sealed record SharedSandboxOptions
{
    /// <summary>The longest a shared sandbox takes new users: once it is this old, a process asking for the same
    /// configuration gets a new one, and the old one is destroyed when its last user releases it (a live user is never
    /// cut off). It also bounds how long users this machine cannot see (on another host or in another pid namespace)
    /// keep it: after it, only users seen alive here count. The first process to create it sets it.
    /// Default: one hour.</summary>
    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromHours(1);

    /// <summary>What the sandbox's name starts with; the name is <c>PREFIX-HASH-N</c>, where HASH is the configuration's
    /// hash and N counts the sandboxes made for it after earlier ones passed their time-to-live. Only processes using the
    /// same prefix share. Default: <c>shared</c>.</summary>
    public string NamePrefix { get; init; } = "shared";
}
