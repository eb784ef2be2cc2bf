using IncusTestKit.Errors;
using IncusTestKit.Files;
using IncusTestKit.MSBuild.Session;
using IncusTestKit.Sandboxes;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>
/// Copies files and folders out of a sandbox into a host folder, each under its own name. What the sandbox holds is
/// treated as hostile: symlinks that leave the copied tree, devices and FIFOs, impossible names and files over the
/// size limits are not copied, each with a warning.
/// </summary>
/// <example>
/// <code>&lt;IncusSandboxPull SandboxName="$(MySandbox)" Sources="bin/report.html" WorkingDirectory="/workspace" DestinationFolder="$(OutDir)" /&gt;</code>
/// </example>
public sealed class IncusSandboxPull : IncusSandboxTask
{
    /// <summary>The sandbox to copy from.</summary>
    [Required]
    public string SandboxName { get; set; } = "";

    /// <summary>Paths in the sandbox: absolute, or relative to <see cref="WorkingDirectory"/>.</summary>
    [Required]
    public string[] Sources { get; set; } = [];

    /// <summary>The absolute folder in the sandbox that relative sources are taken from (default <c>/</c>).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The host folder the copies go into (made when missing).</summary>
    [Required]
    public string DestinationFolder { get; set; } = "";

    /// <summary>For a folder source, copy what it holds into <see cref="DestinationFolder"/> rather than the folder itself.</summary>
    public bool ContentsOnly { get; set; }

    /// <summary>A source that does not exist is a message, not an error (for results a failed run may not have written).</summary>
    public bool SkipMissing { get; set; }

    /// <summary>The host files and folders that were written.</summary>
    [Output]
    public ITaskItem[] Pulled { get; private set; } = [];

    private protected override bool Validate()
    {
        if (!(Blank(WorkingDirectory) ?? "/").StartsWith('/'))
            LogInvalid(nameof(WorkingDirectory), WorkingDirectory, "use an absolute path in the sandbox.");
        foreach (var source in Sources)
        {
            if (Path.GetFileName(source.TrimEnd('/')) is "" or "." or "..")
                LogInvalid(nameof(Sources), source, "name a file or folder (not '/', '.' or '..').");
        }
        return !Log.HasLoggedErrors;
    }

    private protected override async Task ExecuteAsync(BuildSandboxes sandboxes, CancellationToken cancellationToken)
    {
        var sandbox = await sandboxes.GetAsync(SandboxName, Blank(Remote), cancellationToken).ConfigureAwait(false);
        var folder = Path.GetFullPath(DestinationFolder);
        Directory.CreateDirectory(folder);
        var pulled = new List<ITaskItem>();
        foreach (var source in Sources)
        {
            var remote = source.StartsWith('/') ? source : $"{(Blank(WorkingDirectory) ?? "/").TrimEnd('/')}/{source}";
            try
            {
                if (ContentsOnly && (await sandbox.Files.StatAsync(remote, cancellationToken).ConfigureAwait(false)).Type == FileType.Directory)
                {
                    foreach (var entry in await sandbox.Files.ListDirectoryAsync(remote, cancellationToken).ConfigureAwait(false))
                        await PullOneAsync(sandbox, entry.Path, folder, pulled, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await PullOneAsync(sandbox, remote, folder, pulled, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (PathNotFoundException) when (SkipMissing)
            {
                Log.LogMessage(MessageImportance.Normal, "Nothing to pull at {0}:{1}.", SandboxName, remote);
            }
        }
        Pulled = [.. pulled];
    }

    private async Task PullOneAsync(Sandbox sandbox, string remote, string folder, List<ITaskItem> pulled, CancellationToken cancellationToken)
    {
        // The name comes from the sandbox: it may only ever name an entry of the destination folder.
        var name = Path.GetFileName(remote.TrimEnd('/'));
        if (name is "" or "." or ".." || name.Contains('\\', StringComparison.Ordinal))
        {
            Log.LogWarningWithCodeFromResources("SkippedEntry", SandboxName, $"{remote}: not a name a host file can have.");
            return;
        }
        var local = Path.Combine(folder, name);
        var report = await sandbox.Files.PullAsync(remote, local, cancellationToken: cancellationToken).ConfigureAwait(false);
        Log.LogMessage(MessageImportance.Normal, "Pulled {0}:{1} to {2} ({3} files, {4} bytes).", SandboxName, remote, local, report.Files, report.Bytes);
        foreach (var skipped in report.Skipped)
            Log.LogWarningWithCodeFromResources("SkippedEntry", SandboxName, $"{skipped.Path}: {skipped.Message}");
        pulled.Add(new Microsoft.Build.Utilities.TaskItem(local));
    }
}
