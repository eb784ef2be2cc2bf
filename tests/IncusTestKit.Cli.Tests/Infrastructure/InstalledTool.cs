using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// Packs the CLI project as it was built for these tests and installs the package into a temporary tool path from
/// that package's folder alone. Done once per class; a failure is kept and reported by every test. The pack also makes
/// the RID-specific packages, compiling the NativeAOT one unless <c>./build.sh native</c> left it up to date (then it
/// takes seconds, else a minute or more; hence the generous bound).
/// </summary>
public sealed class InstalledTool : IAsyncLifetime
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("isbt-tool-");
    private Task<Installation>? _installation;
    private PackedProject? _packed;

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
        var toolPath = Path.Combine(_root.FullName, "tools");
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(10));

        _packed = await PackedProject.PackAsync("IncusTestKit.Cli", bound.Token);

        // Only the folder just packed: no other feed is asked, and nothing is downloaded.
        var config = Path.Combine(_root.FullName, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="isbt" value="{_packed.Folder}" />
              </packageSources>
            </configuration>
            """, bound.Token);
        var install = await CliWrap.Cli.Wrap("dotnet")
            .WithArguments(["tool", "install", "--tool-path", toolPath, "--configfile", config, "IncusTestKit.Cli", "--version", _packed.Version])
            .WithEnvironmentVariables(e => e.Set("DOTNET_CLI_TELEMETRY_OPTOUT", "1").Set("DOTNET_NOLOGO", "1"))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(bound.Token);
        if (install.ExitCode != 0)
            throw new InvalidOperationException($"dotnet tool install failed ({install.ExitCode}):\n{install.StandardOutput}\n{install.StandardError}");
        return new Installation(_packed.Package, _packed.Version, toolPath, Directory.GetFiles(_packed.Folder, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _packed?.Dispose();
        _root.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }
}
