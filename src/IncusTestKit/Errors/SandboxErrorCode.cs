namespace IncusTestKit.Errors;

/// <summary>Stable codes for <see cref="IncusTestKitException.Code"/>.</summary>
public enum SandboxErrorCode
{
    /// <summary>The daemon reported a failure that has no more specific code.</summary>
    OperationFailed,
    /// <summary>No sandbox (Incus instance) has that name. See <see cref="SandboxNotFoundException"/>.</summary>
    SandboxNotFound,
    /// <summary>The image reference resolves to nothing. See <see cref="ImageNotFoundException"/>.</summary>
    ImageNotFound,
    /// <summary>An instance (or a snapshot of that sandbox) with that name already exists. See <see cref="NameConflictException"/>.</summary>
    NameConflict,
    /// <summary>A name breaks Incus's naming rules. See <see cref="InvalidNameException"/>.</summary>
    InvalidName,
    /// <summary>Something did not finish in time. See <see cref="SandboxTimeoutException"/>.</summary>
    Timeout,
    /// <summary>A limit (memory, disk, processes) was hit or refused. See <see cref="ResourceLimitException"/>.</summary>
    ResourceLimit,
    /// <summary>The operation needs a running sandbox. See <see cref="SandboxNotRunningException"/>.</summary>
    SandboxNotRunning,
    /// <summary>A command that had to succeed did not. See <see cref="CommandFailedException"/>.</summary>
    CommandFailed,
    /// <summary>The daemon cannot be reached. See <see cref="IncusUnavailableException"/>.</summary>
    IncusUnavailable,
    /// <summary>A host-folder mount failed. See <see cref="MountException"/>.</summary>
    Mount,
    /// <summary>A path does not exist. See <see cref="PathNotFoundException"/>.</summary>
    PathNotFound,
    /// <summary>The sandbox has no IncusTestKit mount at that target: a <see cref="MountException"/> with this code.</summary>
    MountNotFound,
    /// <summary>The server cannot run that instance type. See <see cref="UnsupportedInstanceTypeException"/>.</summary>
    UnsupportedInstanceType,
    /// <summary>The configuration (options, environment, Incus client config) is unusable.</summary>
    InvalidConfiguration,
    /// <summary>The sandbox has no snapshot of that name. See <see cref="SnapshotNotFoundException"/>.</summary>
    SnapshotNotFound,
    /// <summary>Sandboxes a client owned could not be destroyed. See <see cref="SandboxCleanupException"/>.</summary>
    CleanupFailed,
    /// <summary>The profiles would make the sandbox privileged or add raw or nesting settings. See <see cref="UnsafeProfileException"/>.</summary>
    UnsafeProfile,
    /// <summary>A cluster target (<see cref="Sandboxes.SandboxOptions.Target"/>) names no member or group, or the server is not a cluster.</summary>
    InvalidTarget,
    /// <summary>The exec agent could not start or its channel broke. See <see cref="ExecAgentException"/>.</summary>
    ExecAgent,
}
