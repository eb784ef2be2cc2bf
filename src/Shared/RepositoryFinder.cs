namespace IncusTestKit.Shared;

/// <summary>
/// Finds a repository's root: the nearest folder at or above a start folder that holds <c>.git</c>. Compiled into
/// each package that mounts "the repository" (xUnit fixtures, MSBuild targets), so they agree on what it is.
/// </summary>
internal static class RepositoryFinder
{
    /// <returns>The root, or null when no folder up to the file system's root has a <c>.git</c>.</returns>
    public static string? Find(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            // A folder in a normal checkout, a file in a worktree or submodule.
            var git = Path.Combine(folder.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git))
                return folder.FullName;
        }
        return null;
    }
}
