using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// Packs the CLI project as it was built for these tests (same configuration, no rebuild) and installs the package
/// into a temporary tool path from that folder alone. Done once per class; a failure is kept and reported by every test.
/// </summary>
public sealed class InstalledTool : IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("isbt-tool-");
    private Task<Installation>? _installation;

    /// <summary>The installed tool, or the reason packing or installing failed.</summary>
    public Task<Installation> GetAsync() => _installation ?? throw new InvalidOperationException("The fixture was not initialised.");

    /// <inheritdoc />
    public ValueTask InitializeAsync()
    {
        _installation = InstallAsync();
        return ValueTask.CompletedTask;
    }

    private async Task<Installation> InstallAsync()
    {
        var repository = FindRepository();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";
        var packages = Path.Combine(_root.FullName, "packages");
        var toolPath = Path.Combine(_root.FullName, "tools");
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        await Run("dotnet", ["pack", Path.Combine(repository, "src", "IncusTestKit.Cli", "IncusTestKit.Cli.csproj"),
            "-c", configuration, "--no-build", "-o", packages, "-nologo", "-nodeReuse:false"], bound.Token);
        var package = Directory.GetFiles(packages, "IncusTestKit.Cli.*.nupkg").Single();
        var version = Path.GetFileNameWithoutExtension(package)["IncusTestKit.Cli.".Length..];

        // Only the folder just packed: no other feed is asked, and nothing is downloaded.
        var config = Path.Combine(_root.FullName, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="isbt" value="{packages}" />
              </packageSources>
            </configuration>
            """, bound.Token);
        await Run("dotnet", ["tool", "install", "--tool-path", toolPath, "--configfile", config, "IncusTestKit.Cli", "--version", version], bound.Token);
        return new Installation(package, version, toolPath);
    }

    private static async Task Run(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var result = await CliWrap.Cli.Wrap(program).WithArguments(arguments)
            .WithEnvironmentVariables(e => e.Set("DOTNET_CLI_TELEMETRY_OPTOUT", "1").Set("DOTNET_NOLOGO", "1"))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.StandardOutput}\n{result.StandardError}");
    }

    private static string FindRepository()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "IncusTestKit.sln")))
                return folder.FullName;
        }
        throw new InvalidOperationException($"No IncusTestKit.sln above {AppContext.BaseDirectory}: the tests must run from the repository's build output.");
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _root.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }
}
