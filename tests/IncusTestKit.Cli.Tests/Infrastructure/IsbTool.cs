using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// Runs the tool as a process, as a user would: the <c>dotnet-isb.dll</c> built next to the tests (run by <c>dotnet</c>,
/// so coverlet sees it), or the executable named by <c>ISB_CLI_UNDER_TEST</c> (the NativeAOT build:
/// <c>./build.sh test</c> runs the <see cref="NativeSubset"/> against artifacts/isb-linux-x64/isb).
/// </summary>
public static class IsbTool
{
    /// <summary>The trait value (<c>Category=NativeCli</c>) of the classes that are also run against the native build.</summary>
    public const string NativeSubset = "NativeCli";

    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "dotnet-isb.dll");

    /// <summary>The executable named by <c>ISB_CLI_UNDER_TEST</c>, or null when the tests run the built dll.</summary>
    public static string? Executable { get; } =
        Environment.GetEnvironmentVariable("ISB_CLI_UNDER_TEST") is { Length: > 0 } path ? Path.GetFullPath(path) : null;

    /// <summary>The words that start the tool (before its arguments).</summary>
    public static IReadOnlyList<string> Launcher { get; } = Executable is { } executable ? [executable] : [DotnetHost, DllPath];

    /// <summary>
    /// The launcher as a shell command-line prefix for a shell typed into by tmux, each word single-quoted. On the JIT
    /// build it starts the dll built by the tool's own project, which coverlet does not instrument: tmux gives the
    /// process a session of its own, coverlet guards its shared hits file with a named mutex, and .NET scopes named
    /// mutexes to a session, so an instrumented tool there can crash at exit beside the test host's tool processes.
    /// </summary>
    public static string ShellLauncher =>
        string.Join(' ', (Executable is null && File.Exists(UninstrumentedDllPath) ? [DotnetHost, UninstrumentedDllPath] : Launcher)
            .Select(word => $"'{word}'"));

    // The same bin/<Configuration>/<framework> as this test project's, under src/IncusTestKit.Cli.
    private static string UninstrumentedDllPath { get; } = FromToolProject(new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)));

    private static string FromToolProject(DirectoryInfo framework) => Path.Combine(framework.Parent!.Parent!.Parent!.Parent!.Parent!.FullName,
        "src", "IncusTestKit.Cli", "bin", framework.Parent.Name, framework.Name, "dotnet-isb.dll");

    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>Whether <paramref name="path"/> is an ELF executable (a native build, not a dll or a script).</summary>
    public static bool IsElf(string path)
    {
        Span<byte> header = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.Read(header) == 4 && header.SequenceEqual("\u007fELF"u8);
    }

    public static Command Command(params string[] arguments) =>
        CliWrap.Cli.Wrap(Launcher[0]).WithArguments([.. Launcher.Skip(1), .. arguments]).WithValidation(CommandResultValidation.None);

    public static Task<BufferedCommandResult> RunAsync(params string[] arguments) =>
        Command(arguments).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

    /// <summary>Runs the tool with text piped to its standard input.</summary>
    public static Task<BufferedCommandResult> RunWithStdinAsync(string stdin, params string[] arguments) =>
        (PipeSource.FromString(stdin) | Command(arguments)).ExecuteBufferedAsync(TestContext.Current.CancellationToken);

    /// <summary>Runs the tool with bytes piped in, and keeps its standard output as bytes.</summary>
    public static async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunBinaryAsync(byte[] stdin, params string[] arguments)
    {
        using var stdout = new MemoryStream();
        var stderr = new StringBuilder();
        var result = await Command(arguments)
            .WithStandardInputPipe(PipeSource.FromBytes(stdin))
            .WithStandardOutputPipe(PipeTarget.ToStream(stdout))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .ExecuteAsync(TestContext.Current.CancellationToken);
        return (result.ExitCode, stdout.ToArray(), stderr.ToString());
    }

    /// <summary>Runs the tool and parses its standard output as JSON; a non-zero exit code fails the test with stderr.</summary>
    public static async Task<JsonElement> RunJsonAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.ExitCode == 0, $"dotnet isb {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.StandardError}");
        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.Clone();
    }
}

