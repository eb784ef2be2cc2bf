using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>Runs the built <c>dotnet-isb</c> as a process, as a user would.</summary>
public static class IsbTool
{
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "dotnet-isb.dll");

    public static Command Command(params string[] arguments) =>
        CliWrap.Cli.Wrap("dotnet").WithArguments([DllPath, .. arguments]).WithValidation(CommandResultValidation.None);

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

