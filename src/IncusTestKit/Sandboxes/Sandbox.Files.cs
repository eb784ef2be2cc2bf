using IncusTestKit.Files;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    /// <summary>
    /// Its files: read, write, list, stat, remove, and copy whole trees in (<see cref="SandboxFiles.PushAsync"/>)
    /// and out (<see cref="SandboxFiles.PullAsync(string, string, IncusTestKit.Files.PullOptions?, CancellationToken)"/>). Works whether the sandbox runs or not.
    /// </summary>
    public SandboxFiles Files => field ??= new SandboxFiles(this);
}
