using CliWrap;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>A package installed into a tool path.</summary>
/// <param name="Package">The .nupkg file.</param>
/// <param name="Version">Its version.</param>
/// <param name="ToolPath">The folder <c>dotnet tool install --tool-path</c> put the <c>dotnet-isb</c> command in.</param>
/// <param name="Packages">The file names of every package the pack made (the tool's and its RID-specific ones).</param>
public sealed record Installation(string Package, string Version, string ToolPath, IReadOnlyList<string> Packages)
{
    /// <summary>The installed <c>dotnet-isb</c>, run directly.</summary>
    public Command Command(params string[] arguments) =>
        CliWrap.Cli.Wrap(Path.Combine(ToolPath, "dotnet-isb")).WithArguments(arguments).WithValidation(CommandResultValidation.None);
}
