using IncusTestKit.Errors;

namespace IncusTestKit.Client;

/// <summary>
/// The one place where daemon answers become typed errors. The daemon reports many failures only
/// as text inside a failed operation (with HTTP 200 from /wait), so the text decides as much as the code.
/// </summary>
internal static class IncusErrorMapper
{
    public static IncusTestKitException Map(int code, string message, IncusErrorContext context)
    {
        var name = context.Instance;
        bool Has(string text) => message.Contains(text, StringComparison.OrdinalIgnoreCase);

        if (name is not null && (Has("Instance not found") || (code == 404 && context.Path is null && context.Snapshot is null && context.Image is null)))
        {
            return new SandboxNotFoundException(name,
                $"Sandbox '{name}' does not exist in project '{context.Project}'. See the existing ones with: dotnet isb list", message);
        }
        if (context.Snapshot is { } snapshot)
        {
            if (Has("Instance_snapshot not found") || (Has("Snapshot ") && Has("does not exist")))
            {
                return new SnapshotNotFoundException(
                    $"Sandbox '{name}' has no snapshot named '{snapshot}'. See its snapshots with ListSnapshotsAsync (incus snapshot list {name}).", message);
            }
            if (Has("UNIQUE constraint failed: instances_snapshots"))
            {
                return new NameConflictException(
                    $"Sandbox '{name}' already has a snapshot named '{snapshot}'. Choose another name, or delete that snapshot first.", message);
            }
        }
        if (Has("Image not provided") || Has("Image alias not found") || (Has("Image \"") && Has("not found"))
            || Has("Failed getting remote image info") || Has("requested image couldn't be found"))
        {
            return new ImageNotFoundException(
                $"Image '{context.Image}' was not found ({message}). List local images with: incus image list", message);
        }
        // "busy running a create operation": another client is creating an instance of that name at this moment.
        if (Has("UNIQUE constraint failed: instances.") || Has("already in use") || Has("busy running a \"create\"") || Has("busy running a create") || (code == 409 && name is not null))
        {
            return new NameConflictException(
                $"A sandbox named '{name}' already exists in project '{context.Project}'. Choose another name, or destroy it first: dotnet isb destroy {name}", message);
        }
        if (Has("Invalid instance name") || Has("Invalid snapshot name") || Has("Invalid instance snapshot name"))
            return new InvalidNameException($"{context.What} failed: {message}.", message);
        if (Has("Instance is not running") || Has("isn't running") || Has("Instance is frozen"))
        {
            return new SandboxNotRunningException(name ?? "",
                $"Sandbox '{name}' is not running ({message}). Start it first: dotnet isb start {name}", message);
        }
        if (Has("context deadline exceeded"))
            return new SandboxTimeoutException($"{context.What} did not finish in time ({message}).", message);
        if (Has("no space left") || Has("quota") || Has("out of memory") || Has("Cannot allocate memory") || Has("limits."))
            return new ResourceLimitException($"{context.What} failed on a resource limit: {message}", message);
        if (Has("Unknown configuration key") || Has("Requested profile"))
            return new IncusTestKitException(SandboxErrorCode.InvalidConfiguration, $"{context.What} failed: {message}", message);
        if (Has("Command not found"))
            return new CommandFailedException($"{context.What} failed: the command was not found in the sandbox.", message);
        if (context.Path is not null && (code == 404 || Has("no such file") || Has("not a directory")))
            return new PathNotFoundException($"Path '{context.Path}' does not exist in sandbox '{name}'.", message);
        return new IncusTestKitException(SandboxErrorCode.OperationFailed, $"{context.What} failed: {message}", message);
    }
}
