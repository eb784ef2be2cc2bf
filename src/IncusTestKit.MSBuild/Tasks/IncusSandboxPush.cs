using IncusTestKit.MSBuild.Session;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>
/// Copies host files and folders into a sandbox: each item goes to its <c>Destination</c> metadata (an absolute path
/// in the sandbox: the copy itself) or, without it, into <see cref="DestinationFolder"/> under its own name.
/// Host symlinks are sent as symlinks, never followed.
/// </summary>
/// <example>
/// <code>&lt;IncusSandboxPush SandboxName="$(MySandbox)" Sources="input.json;data" DestinationFolder="/work" /&gt;</code>
/// </example>
public sealed class IncusSandboxPush : IncusSandboxTask
{
    /// <summary>The sandbox to copy into.</summary>
    [Required]
    public string SandboxName { get; set; } = "";

    /// <summary>Host files and folders.</summary>
    [Required]
    public ITaskItem[] Sources { get; set; } = [];

    /// <summary>The absolute folder in the sandbox that items without <c>Destination</c> metadata go into.</summary>
    public string? DestinationFolder { get; set; }

    private protected override bool Validate()
    {
        foreach (var source in Sources)
        {
            var destination = Blank(source.GetMetadata("Destination"));
            if (destination is null && Blank(DestinationFolder) is null)
                Log.LogErrorWithCodeFromResources("MissingParameter", $"{nameof(IncusSandboxPush)} of '{source.ItemSpec}'", "a Destination metadata or the DestinationFolder parameter");
            else if (!(destination ?? DestinationFolder!.Trim()).StartsWith('/'))
                LogInvalid(destination is null ? nameof(DestinationFolder) : "Destination", destination ?? DestinationFolder, "use an absolute path in the sandbox.");
        }
        return !Log.HasLoggedErrors;
    }

    private protected override async Task ExecuteAsync(BuildSandboxes sandboxes, CancellationToken cancellationToken)
    {
        var sandbox = await sandboxes.GetAsync(SandboxName, Blank(Remote), cancellationToken).ConfigureAwait(false);
        foreach (var source in Sources)
        {
            var local = source.GetMetadata("FullPath");
            var remote = Blank(source.GetMetadata("Destination"))
                ?? $"{DestinationFolder!.Trim().TrimEnd('/')}/{Path.GetFileName(Path.TrimEndingDirectorySeparator(local))}";
            var report = await sandbox.Files.PushAsync(local, remote, cancellationToken).ConfigureAwait(false);
            Log.LogMessage(MessageImportance.Normal, "Pushed {0} to {1}:{2} ({3} files, {4} bytes).", source.ItemSpec, SandboxName, remote, report.Files, report.Bytes);
            foreach (var skipped in report.Skipped)
                Log.LogMessage(MessageImportance.Normal, "Not pushed: {0}: {1}", skipped.Path, skipped.Message);
        }
    }
}
