using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Exec;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb run &lt;name&gt; --language &lt;lang&gt; [file|-]</c>: runs a piece of code in a sandbox.</summary>
internal sealed class RunCommand : VerbCommand
{
    private readonly Argument<string> _name = CommonOptions.Name();

    private readonly Argument<string?> _file = new("file")
    {
        Description = "The code file on this machine, or - for standard input [default: standard input]",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<CodeLanguage?> _language = new("--language", "-l")
    {
        Description = $"The language: {LanguageParser.Names} [default: from the file's extension]",
        HelpName = "language",
        CustomParser = result => CommonOptions.ParseOrReport<CodeLanguage?>(result, t => LanguageParser.Parse(t)),
    };

    private readonly Option<string?> _code = new("--code", "-c")
    {
        Description = "The code itself, instead of a file",
        HelpName = "code",
    };

    private readonly ProcessOptions _process = new();
    private readonly Option<bool> _json = CommonOptions.Json();

    public RunCommand() : base("run", "Run a piece of code (Python, Node, Bash, Ruby, Go) in a sandbox; exits with the code's exit code")
    {
        Arguments.Add(_name);
        Arguments.Add(_file);
        Options.Add(_language);
        Options.Add(_code);
        _process.AddTo(this);
        Options.Add(_json);
        Validators.Add(result =>
        {
            if (result.GetValue(_code) is not null && result.GetValue(_file) is not null)
                result.AddError("Give the code either as a file or with --code, not both.");
        });
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb run web script.py",
        "dotnet isb run web --language python --code 'print(6 * 7)'",
        "echo 'console.log(process.version)' | dotnet isb run web -l js -",
        "dotnet isb run web -l ruby --timeout 2m < job.rb",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var file = parseResult.GetValue(_file);
        var language = parseResult.GetValue(_language)
            ?? (file is not null and not "-" ? LanguageParser.FromFileName(file) : null)
            ?? throw new FormatException($"Which language? Say it with --language: {LanguageParser.Names}.");
        var code = await ReadCodeAsync(parseResult.GetValue(_code), file, cancellationToken);
        var options = _process.ToCommandOptions(parseResult);
        // Standard input is the program's when the code came from elsewhere.
        if (parseResult.GetValue(_code) is not null || file is not null and not "-")
            options = options with { Stdin = ProcessOptions.RedirectedStdin() };

        await using var client = GlobalOptions.CreateClient(parseResult);
        var sandbox = await client.GetByNameAsync(parseResult.GetValue(_name)!, cancellationToken);
        if (parseResult.GetValue(_json))
        {
            var result = await sandbox.RunCodeAsync(code, language, options, cancellationToken);
            Json.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("language", result.Language.ToString().ToLowerInvariant());
                w.WriteNumber("exitCode", result.ExitCode);
                w.WriteString("output", result.Output);
                w.WriteNumber("durationMs", (long)result.Duration.TotalMilliseconds);
                w.WriteBoolean("truncated", result.Truncated);
                w.WriteEndObject();
            });
            return result.ExitCode;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var live = new LiveOutput(stop);
        try
        {
            var result = await sandbox.RunCodeAsync(code, language, options with { OnOutput = live.WriteAsync }, stop.Token);
            return result.ExitCode;
        }
        catch (OperationCanceledException) when (live.Broken && !cancellationToken.IsCancellationRequested)
        {
            return LiveOutput.BrokenPipeExitCode;
        }
    }

    private static async Task<string> ReadCodeAsync(string? code, string? file, CancellationToken cancellationToken)
    {
        if (code is not null)
            return code;
        if (file is not null and not "-")
            return await File.ReadAllTextAsync(file, cancellationToken);
        if (!Console.IsInputRedirected)
            throw new FormatException("No code: give a file, pipe it in (... | dotnet isb run NAME -l py -), or pass --code.");
        using var reader = new StreamReader(Console.OpenStandardInput());
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
