using System.IO.Compression;
using System.Xml.Linq;
using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// A project of src/ packed as it was built for these tests (same configuration, no rebuild) into a temporary folder
/// of its own: the package a user would get. Disposing deletes the folder.
/// </summary>
public sealed class PackedProject : IDisposable
{
    private PackedProject(string folder, string package)
    {
        Folder = folder;
        Package = package;
        using var zip = ZipFile.OpenRead(package);
        Entries = zip.Entries.Select(e => e.FullName).ToList();
        var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Id = metadata.Elements().Single(e => e.Name.LocalName == "id").Value;
        Version = metadata.Elements().Single(e => e.Name.LocalName == "version").Value;
        Dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);
    }

    /// <summary>The folder that holds the package (and nothing else but a tool's RID-specific packages).</summary>
    public string Folder { get; }

    /// <summary>The .nupkg file.</summary>
    public string Package { get; }

    /// <summary>The package id from its manifest.</summary>
    public string Id { get; }

    /// <summary>The package version from its manifest.</summary>
    public string Version { get; }

    /// <summary>The packages it depends on (id to version range), over all target frameworks.</summary>
    public IReadOnlyDictionary<string, string> Dependencies { get; }

    /// <summary>The paths inside the package.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>Packs src/<paramref name="project"/>/<paramref name="project"/>.csproj.</summary>
    public static async Task<PackedProject> PackAsync(string project, CancellationToken cancellationToken)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";
        var folder = Directory.CreateTempSubdirectory("isbt-pack-").FullName;
        try
        {
            var arguments = new[] { "pack", Path.Combine(RepositoryRoot(), "src", project, project + ".csproj"),
                "-c", configuration, "--no-build", "-o", folder, "-nologo", "-nodeReuse:false" };
            var result = await CliWrap.Cli.Wrap("dotnet").WithArguments(arguments)
                .WithEnvironmentVariables(e => e.Set("DOTNET_CLI_TELEMETRY_OPTOUT", "1").Set("DOTNET_NOLOGO", "1"))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(cancellationToken);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.StandardOutput}\n{result.StandardError}");
            // A tool with RID-specific packages (the CLI) also leaves <id>.<rid>.<version>.nupkg: the package users name is <id>.<version>.
            var package = Directory.GetFiles(folder, "*.nupkg")
                .Single(p => Path.GetFileName(p).StartsWith(project + ".", StringComparison.Ordinal) && char.IsAsciiDigit(Path.GetFileName(p)[project.Length + 1]));
            return new PackedProject(folder, package);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "IncusTestKit.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"No IncusTestKit.sln above {AppContext.BaseDirectory}: the tests must run from the repository's build output.");
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
