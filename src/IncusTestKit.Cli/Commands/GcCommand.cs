using System.CommandLine;
using System.Runtime.ExceptionServices;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary>
/// <c>dotnet isb gc</c>: destroys leftovers, the auto-destroy sandboxes of processes on this machine that ended without
/// destroying them (killed with SIGKILL, for example), as every SDK client does once by itself.
/// </summary>
internal sealed class GcCommand : VerbCommand
{
    private readonly Option<bool> _dryRun = new("--dry-run", "-n")
    {
        Description = "Only list the leftovers that would be destroyed",
    };

    private readonly Option<bool> _json = CommonOptions.Json();

    public GcCommand() : base("gc",
        "Destroy leftover sandboxes: auto-destroy ones whose process on this machine has ended (sandboxes from 'create' are kept)")
    {
        Options.Add(_dryRun);
        Options.Add(_json);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb gc --dry-run",
        "dotnet isb gc",
        "dotnet isb gc --json | jq -r '.leftovers[] | select(.destroyed) | .name'",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var dryRun = parseResult.GetValue(_dryRun);
        await using var client = GlobalOptions.CreateClient(parseResult);
        var result = await client.ReapLeftoversAsync(dryRun, cancellationToken);
        if (result.Error is { } error && result.Leftovers.Count == 0)
            ExceptionDispatchInfo.Throw(error); // Nothing was found: the error is all there is to say.

        if (parseResult.GetValue(_json))
            WriteJson(result, dryRun);
        else
            WriteText(result, dryRun);

        var failures = result.Failed.Select(f => $"Leftover sandbox '{f.Key}' was not destroyed: {f.Value.Message}").ToList();
        if (result.Error is not null)
            failures.Add(result.Error.Message);
        return failures.Count == 0 ? 0 : ErrorReporter.Report(failures, "Run 'dotnet isb gc' again; destroy one by hand with: dotnet isb destroy NAME");
    }

    private static void WriteText(ReapResult result, bool dryRun)
    {
        if (result.Leftovers.Count == 0)
        {
            Terminal.Say("No leftovers: every sandbox owned by a process on this machine has a live owner.");
            return;
        }
        var table = new Table("NAME", "DONE", "WHY");
        foreach (var leftover in result.Leftovers.Where(l => !result.Failed.ContainsKey(l.Name)))
            table.Add(leftover.Name, dryRun ? "would be destroyed" : "destroyed", leftover.Reason);
        if (table.Count > 0)
            table.WriteTo(Console.Out);
        if (dryRun)
            Terminal.Say($"{result.Leftovers.Count} leftover sandbox(es); destroy them with: dotnet isb gc");
    }

    private static void WriteJson(ReapResult result, bool dryRun) => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("dryRun", dryRun);
        w.WriteStartArray("leftovers");
        foreach (var leftover in result.Leftovers)
        {
            w.WriteStartObject();
            w.WriteString("name", leftover.Name);
            w.WriteString("reason", leftover.Reason);
            var failure = result.Failed.GetValueOrDefault(leftover.Name);
            w.WriteBoolean("destroyed", !dryRun && failure is null);
            w.WriteString("error", failure?.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("error", result.Error?.Message);
        w.WriteEndObject();
    });
}
