using IncusTestKit.Errors;

namespace IncusTestKit.Xunit;

/// <summary>Finds a repository's root: the nearest folder at or above a start folder that holds <c>.git</c>.</summary>
internal static class RepositoryFinder
{
    /// <exception cref="PathNotFoundException">No folder up to the root has <c>.git</c>.</exception>
    public static string Find(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            // A folder in a normal checkout, a file in a worktree or submodule.
            var git = Path.Combine(folder.FullName, ".git");
            if (Directory.Exists(git) || File.Exists(git))
                return folder.FullName;
        }
        throw new PathNotFoundException(
            $"No repository found: no folder at or above '{start}' has a .git. Set {RepositorySandbox.RepositoryVariable} to the repository root, or pass it to the RepositorySandbox constructor.");
    }
}
