using IncusTestKit.MSBuild.Resources;
using IncusTestKit.Shared;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>Finds the repository a project is in: the nearest folder at or above <see cref="StartDirectory"/> with a <c>.git</c>.</summary>
public sealed class IncusRepositoryRoot : Microsoft.Build.Utilities.Task
{
    /// <summary>Sets up the task's messages.</summary>
    public IncusRepositoryRoot()
        : base(Strings.Manager)
    {
    }

    /// <summary>Where to start looking (usually the project's folder).</summary>
    [Required]
    public string StartDirectory { get; set; } = "";

    /// <summary>The repository's root folder.</summary>
    [Output]
    public string RepositoryRoot { get; private set; } = "";

    /// <inheritdoc />
    public override bool Execute()
    {
        if (RepositoryFinder.Find(Path.GetFullPath(StartDirectory)) is { } root)
            RepositoryRoot = root;
        else
            Log.LogErrorWithCodeFromResources("NoRepository", StartDirectory);
        return !Log.HasLoggedErrors;
    }
}
