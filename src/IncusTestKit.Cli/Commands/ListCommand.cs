using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb list</c>: the sandboxes of the project, as a table or JSON.</summary>
internal sealed class ListCommand : VerbCommand
{
    private readonly Option<SandboxType?> _type = new("--type")
    {
        Description = "Only this instance type: container or vm",
        HelpName = "container|vm",
        CustomParser = result => CommonOptions.ParseOrReport<SandboxType?>(result, t => SandboxEnumParser.ParseType(t)),
    };

    private readonly Option<SandboxState?> _state = new("--state")
    {
        Description = "Only this state: running, stopped, frozen or error",
        HelpName = "state",
        CustomParser = result => CommonOptions.ParseOrReport<SandboxState?>(result, t => SandboxEnumParser.ParseState(t)),
    };

    private readonly Option<string?> _prefix = new("--prefix")
    {
        Description = "Only names starting with this text",
        HelpName = "text",
    };

    private readonly Option<bool> _json = CommonOptions.Json();

    public ListCommand() : base("list", "List the sandboxes (every instance of the project)")
    {
        Options.Add(_type);
        Options.Add(_state);
        Options.Add(_prefix);
        Options.Add(_json);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb list",
        "dotnet isb list --state running --prefix ci-",
        "dotnet isb list --json | jq -r '.[].name'",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var client = GlobalOptions.CreateClient(parseResult);
        var sandboxes = await client.ListAsync(parseResult.GetValue(_type), parseResult.GetValue(_state), parseResult.GetValue(_prefix), cancellationToken);

        if (parseResult.GetValue(_json))
        {
            Json.Write(w =>
            {
                w.WriteStartArray();
                foreach (var sandbox in sandboxes)
                    SandboxFormat.WriteInfo(w, sandbox);
                w.WriteEndArray();
            });
            return 0;
        }
        if (sandboxes.Count == 0)
        {
            Terminal.Say("No sandboxes. Create one with: dotnet isb create");
            return 0;
        }
        var now = DateTimeOffset.UtcNow;
        // The listing spans every member of a cluster; where each sandbox runs is worth a column only there.
        if (sandboxes.Any(s => s.Location is not null))
        {
            var clustered = new Table("NAME", "STATE", "TYPE", "IMAGE", "IPV4", "LOCATION", "AGE", "LABELS");
            foreach (var s in sandboxes)
                clustered.Add(s.Name, SandboxFormat.State(s.State), SandboxFormat.ShortType(s.Type), s.Image, s.IPv4Address, s.Location, SandboxFormat.Age(s.CreatedAt, now), SandboxFormat.Labels(s.Labels));
            clustered.WriteTo(Console.Out);
            return 0;
        }
        var table = new Table("NAME", "STATE", "TYPE", "IMAGE", "IPV4", "AGE", "LABELS");
        foreach (var s in sandboxes)
            table.Add(s.Name, SandboxFormat.State(s.State), SandboxFormat.ShortType(s.Type), s.Image, s.IPv4Address, SandboxFormat.Age(s.CreatedAt, now), SandboxFormat.Labels(s.Labels));
        table.WriteTo(Console.Out);
        return 0;
    }
}
