using IncusTestKit.Errors;

namespace IncusTestKit.Client;

/// <summary>
/// The one place where daemon answers become typed errors, and the only code that reads the daemon's error text. The
/// daemon reports many failures only as text inside a failed operation (with HTTP 200 from /wait), so the text decides
/// as much as the code. Everything else decides on the exception's type, its code, or the <see cref="DaemonCondition"/>
/// set here.
/// </summary>
internal static class IncusErrorMapper
{
    /// <summary>The typed error for a daemon answer, carrying the daemon's words and what they were read to mean.</summary>
    public static IncusTestKitException Map(int code, string message, IncusErrorContext context) =>
        Create(Classify(code, message, context), context, message);

    /// <summary>What a daemon answer means (texts observed on Incus 6.0).</summary>
    public static DaemonCondition Classify(int code, string message, IncusErrorContext context)
    {
        bool Has(string text) => message.Contains(text, StringComparison.OrdinalIgnoreCase);
        var name = context.Instance;

        // The daemon checks trust before anything else, so a 403 means this client, not the request.
        if (code == 403 && Has("not authorized"))
            return DaemonCondition.NotAuthorized;
        // Before the instance checks: an unknown member is a 404 of a create.
        if (context.Target is not null)
        {
            if (Has("only allowed when clustered"))
                return DaemonCondition.NotClustered;
            if ((Has("Cluster member") && Has("not found")) || (Has("Cluster group") && Has("doesn't exist"))
                || Has("Couldn't find a cluster member"))
            {
                return DaemonCondition.TargetNotFound;
            }
        }
        if (name is not null && (Has("Instance not found") || (code == 404 && context.Path is null && context.Snapshot is null && context.Image is null)))
            return DaemonCondition.InstanceNotFound;
        if (code == 412)
            return DaemonCondition.ChangedSinceRead;
        if (context.Snapshot is not null)
        {
            if (Has("Instance_snapshot not found") || (Has("Snapshot ") && Has("does not exist")))
                return DaemonCondition.SnapshotNotFound;
            if (Has("UNIQUE constraint failed: instances_snapshots"))
                return DaemonCondition.SnapshotExists;
        }
        if (Has("Image not provided") || Has("Image alias not found") || (Has("Image \"") && Has("not found"))
            || Has("Failed getting remote image info") || Has("requested image couldn't be found")
            || (context.Image is not null && name is null && (code == 404 || Has("not found"))))
        {
            return DaemonCondition.ImageNotFound;
        }
        // "busy running a create" while creating: another client is creating an instance of that name at this moment;
        // "busy running a start" in the instance record step: another client's create of that name is starting it.
        var creating = context.Image is not null;
        if (Has("UNIQUE constraint failed: instances.") || Has("already in use") || (code == 409 && name is not null)
            || (creating && (Has("busy running a \"create\"") || Has("busy running a create")
                             || (Has("Failed creating instance record") && Has("is busy")))))
        {
            return DaemonCondition.InstanceExists;
        }
        if (Has("Invalid instance name") || Has("Invalid snapshot name") || Has("Invalid instance snapshot name"))
            return DaemonCondition.InvalidName;
        if (Has("Instance is not running") || Has("isn't running") || Has("Instance is frozen"))
            return DaemonCondition.NotRunning;
        if (Has("already running"))
            return DaemonCondition.AlreadyRunning;
        if (Has("already stopped"))
            return DaemonCondition.AlreadyStopped;
        if (Has("is busy"))
            return DaemonCondition.Busy;
        // The daemon's operation lock: this request waited for a matching one (a delete, a stop) that has now succeeded.
        if (Has("matching non-reusable operation has now succeeded"))
            return DaemonCondition.AlreadyDoneByAnother;
        if (Has("Instance is running"))
            return DaemonCondition.StillRunning;
        if (Has("Failed shutting down instance"))
            return DaemonCondition.ShutdownTimedOut;
        if (Has("context deadline exceeded"))
            return DaemonCondition.DeadlineExceeded;
        if (Has("no space left") || Has("quota") || Has("out of memory") || Has("Cannot allocate memory") || Has("limits."))
            return DaemonCondition.ResourceLimit;
        if (Has("Unknown configuration key") || Has("Requested profile"))
            return DaemonCondition.InvalidConfiguration;
        if (Has("Command not found"))
            return DaemonCondition.CommandNotFound;
        if (context.Path is not null)
        {
            if (Has("directory not empty"))
                return DaemonCondition.DirectoryNotEmpty;
            if (Has("is a directory"))
                return DaemonCondition.IsADirectory;
            if (code == 404 || Has("no such file") || Has("not a directory"))
                return DaemonCondition.PathNotFound;
        }
        return DaemonCondition.Other;
    }

    /// <summary>
    /// The typed error for a condition, with a message that names the fix. <paramref name="message"/> is the daemon's
    /// text, quoted where it says more than the condition; null when the SDK found the condition itself.
    /// </summary>
    public static IncusTestKitException Create(DaemonCondition condition, IncusErrorContext context, string? message = null)
    {
        var name = context.Instance;
        IncusTestKitException error = condition switch
        {
            DaemonCondition.InstanceNotFound => new SandboxNotFoundException(name ?? "",
                $"Sandbox '{name}' does not exist in project '{context.Project}'. See the existing ones with: dotnet isb list"),
            DaemonCondition.SnapshotNotFound => new SnapshotNotFoundException(
                $"Sandbox '{name}' has no snapshot named '{context.Snapshot}'. See its snapshots with ListSnapshotsAsync (incus snapshot list {name})."),
            DaemonCondition.SnapshotExists => new NameConflictException(
                $"Sandbox '{name}' already has a snapshot named '{context.Snapshot}'. Choose another name, or delete that snapshot first."),
            DaemonCondition.ImageNotFound => new ImageNotFoundException(
                $"Image '{context.Image}' was not found{Quoted(message)}. List local images with: incus image list"),
            DaemonCondition.InstanceExists => new NameConflictException(
                $"A sandbox named '{name}' already exists in project '{context.Project}'. Choose another name, or destroy it first: dotnet isb destroy {name}"),
            DaemonCondition.InvalidName => new InvalidNameException($"{context.What} failed: {message}."),
            DaemonCondition.NotRunning => new SandboxNotRunningException(name ?? "",
                $"Sandbox '{name}' is not running{Quoted(message)}. Start it first: dotnet isb start {name}"),
            DaemonCondition.ShutdownTimedOut => new SandboxTimeoutException(
                $"{context.What} did not finish in time{Quoted(message)}; it is still running. Stop it with force: dotnet isb stop {name} --force"),
            DaemonCondition.DeadlineExceeded => new SandboxTimeoutException($"{context.What} did not finish in time{Quoted(message)}."),
            DaemonCondition.ResourceLimit => new ResourceLimitException($"{context.What} failed on a resource limit: {message}"),
            DaemonCondition.InvalidConfiguration => new IncusTestKitException(SandboxErrorCode.InvalidConfiguration, $"{context.What} failed: {message}"),
            DaemonCondition.CommandNotFound => new CommandFailedException($"{context.What} failed: the command was not found in the sandbox."),
            DaemonCondition.NotClustered => new IncusTestKitException(SandboxErrorCode.InvalidTarget,
                $"{context.What} failed: the server at {context.Endpoint} is not a cluster, so there is no member '{context.Target}' to " +
                "create it on. Leave the target unset (SandboxOptions.Target, --target), or use a remote that is a cluster."),
            DaemonCondition.TargetNotFound => new IncusTestKitException(SandboxErrorCode.InvalidTarget,
                $"{context.What} failed: the cluster has no member or group '{context.Target}' that can take it{Quoted(message)}. " +
                "Members: incus cluster list; groups (target them as @name): incus cluster group list."),
            DaemonCondition.ChangedSinceRead => new IncusTestKitException(SandboxErrorCode.OperationFailed,
                $"{context.What} failed: someone else changed it at the same moment. Try again."),
            DaemonCondition.PathNotFound => new PathNotFoundException($"Path '{context.Path}' does not exist in sandbox '{name}'."),
            // Context() always names the endpoint.
            DaemonCondition.NotAuthorized => new IncusTrustException(IncusUnavailableReason.ClientNotTrusted, context.Endpoint!,
                $"{context.What} failed: the server at {context.Endpoint} does not trust this client's certificate{Quoted(message)}. " +
                "Add it to the server's trust store: incus config trust add-certificate client.crt (run on the server; for a remote of " +
                "the incus CLI, client.crt is in its config folder), or 'incus remote add' with a trust token from 'incus config trust add'."),
            _ => new IncusTestKitException(SandboxErrorCode.OperationFailed, $"{context.What} failed: {message}"),
        };
        error.DaemonMessage = message;
        error.Condition = condition;
        return error;
    }

    private static string Quoted(string? message) => string.IsNullOrEmpty(message) ? "" : $" ({message})";
}
