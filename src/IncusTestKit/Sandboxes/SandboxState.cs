namespace IncusTestKit.Sandboxes;

/// <summary>The run state of a sandbox.</summary>
public enum SandboxState
{
    /// <summary>Running: commands can be run in it.</summary>
    Running,
    /// <summary>Stopped: it exists, nothing runs in it.</summary>
    Stopped,
    /// <summary>Frozen: its processes are paused.</summary>
    Frozen,
    /// <summary>The daemon reports an error state (or one IncusTestKit does not know).</summary>
    Error,
}
