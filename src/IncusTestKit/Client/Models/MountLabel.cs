namespace IncusTestKit.Client.Models;

/// <summary>
/// What IncusTestKit records about one of its host-folder mounts, as JSON in the instance config key
/// <c>user.isb.mount.&lt;device&gt;</c> (disk devices accept no keys of our own).
/// </summary>
internal sealed record MountLabel(string Source, string Target, string Mode);
