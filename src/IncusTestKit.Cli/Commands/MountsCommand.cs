using System.CommandLine;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb mounts &lt;name&gt;</c>: the host-folder mounts IncusTestKit made in a sandbox.</summary>
internal sealed class MountsCommand : SandboxVerb
{
    private readonly Option<bool> _json = CommonOptions.Json();

    public MountsCommand() : base("mounts", "List the host folders mounted into a sandbox")
    {
        Options.Add(_json);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb mounts web",
        "dotnet isb mounts web --json | jq -r '.[].target'",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var mounts = await sandbox.ListMountsAsync(cancellationToken);

        if (parseResult.GetValue(_json))
        {
            Json.Write(w =>
            {
                w.WriteStartArray();
                foreach (var mount in mounts)
                {
                    w.WriteStartObject();
                    w.WriteString("target", mount.Target);
                    w.WriteString("source", mount.Source);
                    w.WriteString("mode", MountSpecParser.Format(mount.Mode));
                    w.WriteString("device", mount.DeviceName);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            return 0;
        }
        if (mounts.Count == 0)
        {
            Terminal.Say($"Sandbox '{sandbox.Name}' has no mounts.");
            return 0;
        }
        var table = new Table("TARGET", "MODE", "SOURCE");
        foreach (var mount in mounts)
            table.Add(mount.Target, MountSpecParser.Format(mount.Mode), mount.Source);
        table.WriteTo(Console.Out);
        return 0;
    }
}
