using IncusTestKit.Files;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    /// <summary>
    /// Its files: read, write, list, stat, remove, and copy whole trees in (<see cref="SandboxFileSystem.PushAsync"/>)
    /// and out (<see cref="SandboxFileSystem.PullAsync(string, string, IncusTestKit.Files.PullOptions?, CancellationToken)"/>). Works whether the sandbox runs or not.
    /// </summary>
    public SandboxFileSystem Fs => field ??= new SandboxFileSystem(this);
}
