namespace IncusTestKit.Client;

/// <summary>
/// What a daemon error means, as <see cref="IncusErrorMapper.Classify"/> reads it from the daemon's code and text. The
/// SDK decides on these (and on exception types), never on the daemon's words.
/// </summary>
internal enum DaemonCondition
{
    /// <summary>Nothing the SDK tells apart: an operation failure.</summary>
    Other,
    /// <summary>A remote server does not trust this client's certificate (HTTP 403, or <c>auth: untrusted</c> on <c>/1.0</c>).</summary>
    NotAuthorized,
    InstanceNotFound,
    InstanceExists,
    SnapshotNotFound,
    SnapshotExists,
    ImageNotFound,
    InvalidName,
    InvalidConfiguration,
    /// <summary>The operation needs a running instance, and it is stopped or frozen.</summary>
    NotRunning,
    /// <summary>A start of an instance that already runs.</summary>
    AlreadyRunning,
    /// <summary>A stop of an instance that is already stopped.</summary>
    AlreadyStopped,
    /// <summary>Another operation (a create, a start) holds the instance at this moment.</summary>
    Busy,
    /// <summary>
    /// The same action on the instance, asked by another client at the same moment, has just succeeded (two deletes or two
    /// stops racing): what was asked is done.
    /// </summary>
    AlreadyDoneByAnother,
    /// <summary>A delete of an instance that is running (it was started after it was read).</summary>
    StillRunning,
    /// <summary>A clean shutdown did not finish within its timeout.</summary>
    ShutdownTimedOut,
    /// <summary>The daemon's own deadline for the operation passed.</summary>
    DeadlineExceeded,
    ResourceLimit,
    CommandNotFound,
    PathNotFound,
    /// <summary>A delete of a directory that still has entries.</summary>
    DirectoryNotEmpty,
    /// <summary>A file operation on a path that is a directory.</summary>
    IsADirectory,
    /// <summary>A cluster target on a server that is not clustered.</summary>
    NotClustered,
    /// <summary>A cluster target naming no member or group, or a group with no member that can take the instance.</summary>
    TargetNotFound,
    /// <summary>A conditional change (<c>If-Match</c>) of an object that changed since it was read (HTTP 412).</summary>
    ChangedSinceRead,
}
