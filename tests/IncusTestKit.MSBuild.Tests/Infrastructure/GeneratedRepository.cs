using System.Text;
using System.Text.RegularExpressions;
using CliWrap;
using IncusTestKit.Tests.Infrastructure;

namespace IncusTestKit.MSBuild.Tests.Infrastructure;

/// <summary>
/// A throw-away repository on the host whose projects use the freshly packed IncusTestKit.MSBuild package from a local
/// folder source, built by a real <c>dotnet</c> as a user's CI would: a private package folder (so no stale copy of
/// the package is ever used), the host's package folder as a read-only fallback (so the test frameworks restore
/// offline), no node reuse, and none of the MSBuild variables of the <c>dotnet test</c> running these specs.
/// Sandboxes it creates are named <c>isbt-msb-*</c>.
/// </summary>
public sealed partial class GeneratedRepository : IAsyncLifetime
{
    public const string SandboxPrefix = TestNames.Prefix + "msb-";

    private PackedProject? _package;

    /// <summary>The repository's root folder.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("isbt-msbuild-").FullName;

    private string Packages => Path.Combine(Root, ".packages");

    public async ValueTask InitializeAsync()
    {
        _package = await PackedProject.PackAsync("IncusTestKit.MSBuild", TestContext.Current.CancellationToken);
        Directory.CreateDirectory(Path.Combine(Root, ".git"));
        var hostPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } named
            ? named
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(Root, "nuget.config"), $"""
            <configuration>
              <packageSources><clear /><add key="local" value="{_package.Folder}" /></packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(Root, "Directory.Build.props"), $"""
            <Project>
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <RestoreAdditionalProjectFallbackFolders>{hostPackages}</RestoreAdditionalProjectFallbackFolders>
                <SandboxNamePrefix>{SandboxPrefix}</SandboxNamePrefix>
              </PropertyGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(Root, "Directory.Packages.props"), "<Project />");
    }

    /// <summary>The package's version, for PackageReference.</summary>
    public string PackageVersion => _package!.Version;

    /// <summary>Writes files (relative path to content) into the repository.</summary>
    public void Write(params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(Root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
    }

    /// <summary>A project file that references the package, with more properties and items.</summary>
    public string Project(string properties = "", string items = "") => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>{properties}</PropertyGroup>
          <ItemGroup>
            <PackageReference Include="IncusTestKit.MSBuild" Version="{PackageVersion}" />
            {items}
          </ItemGroup>
        </Project>
        """;

    /// <summary>Runs <c>dotnet</c> in a folder of the repository with the classic console logger, and returns what it printed.</summary>
    public Task<DotNetRun> DotNetAsync(string folder, string[] arguments, CancellationToken cancellationToken) =>
        RunAsync(folder, arguments, onLine: null, CancellationToken.None, cancellationToken);

    /// <summary>As <see cref="DotNetAsync"/>, and sends it SIGINT, as Ctrl-C does, once it prints a line <paramref name="pressWhen"/> accepts.</summary>
    /// <returns>The run, and whether Ctrl-C was sent.</returns>
    public async Task<(DotNetRun Run, bool Pressed)> DotNetWithCtrlCAsync(string folder, string[] arguments, Func<string, bool> pressWhen, CancellationToken cancellationToken)
    {
        using var ctrlC = new CancellationTokenSource();
        var run = await RunAsync(folder, arguments, line =>
        {
            if (pressWhen(line))
                ctrlC.Cancel();
        }, ctrlC.Token, cancellationToken);
        return (run, ctrlC.IsCancellationRequested);
    }

    private async Task<DotNetRun> RunAsync(string folder, string[] arguments, Action<string>? onLine, CancellationToken gracefulCancellation, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var lines = PipeTarget.ToDelegate(line =>
        {
            lock (output)
                output.AppendLine(line);
            onLine?.Invoke(line);
        });
        var command = Cli.Wrap("dotnet")
            .WithArguments([.. arguments, "-nodeReuse:false", "-tl:off", "-nologo"])
            .WithWorkingDirectory(Path.Combine(Root, folder))
            .WithEnvironmentVariables(e => e
                .Set("NUGET_PACKAGES", Packages)
                .Set("MSBUILDDISABLENODEREUSE", "1")
                .Set("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
                .Set("DOTNET_NOLOGO", "1")
                .Set("DOTNET_CLI_UI_LANGUAGE", "en")
                // Inherited from the dotnet test running these specs, they would point the child at the wrong MSBuild.
                .Set("MSBuildExtensionsPath", null)
                .Set("MSBuildSDKsPath", null)
                .Set("MSBUILD_EXE_PATH", null)
                .Set("MSBUILDUSESERVER", "0")
                .Set("ISB_SANDBOX", null)
                .Set("ISB_SANDBOX_REMOTE", null))
            .WithStandardOutputPipe(lines)
            .WithStandardErrorPipe(lines)
            .WithValidation(CommandResultValidation.None);
        int exitCode;
        try
        {
            exitCode = (await command.ExecuteAsync(cancellationToken, gracefulCancellation)).ExitCode;
        }
        catch (OperationCanceledException) when (gracefulCancellation.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // CliWrap waits for the process to exit after SIGINT, then reports the cancellation instead of the exit code.
            exitCode = DotNetRun.Interrupted;
        }
        string text;
        lock (output)
            text = output.ToString();
        TestContext.Current.TestOutputHelper?.WriteLine($"$ dotnet {string.Join(' ', arguments)} -> {exitCode}\n{text}");
        return new DotNetRun(exitCode, text);
    }

    public ValueTask DisposeAsync()
    {
        _package?.Dispose();
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>What a <c>dotnet</c> run printed.</summary>
public sealed partial record DotNetRun(int ExitCode, string Output)
{
    /// <summary>The exit code of a run stopped with Ctrl-C (it has exited; CliWrap does not say with what).</summary>
    public const int Interrupted = -2;

    /// <summary>The sandboxes the run says it created.</summary>
    public IReadOnlyList<string> CreatedSandboxes => [.. CreatedLine().Matches(Output).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"Sandbox (\S+) created from")]
    private static partial Regex CreatedLine();
}
