using System.CommandLine;
using System.Globalization;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb snapshots &lt;name&gt;</c>: a sandbox's snapshots, oldest first.</summary>
internal sealed class SnapshotsCommand : SandboxVerb
{
    private readonly Option<bool> _json = CommonOptions.Json();

    public SnapshotsCommand() : base("snapshots", "List a sandbox's snapshots, oldest first")
    {
        Options.Add(_json);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb snapshots web",
        "dotnet isb snapshots web --json | jq -r '.[].name'",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var snapshots = await sandbox.ListSnapshotsAsync(cancellationToken);

        if (parseResult.GetValue(_json))
        {
            Json.Write(w =>
            {
                w.WriteStartArray();
                foreach (var snapshot in snapshots)
                {
                    w.WriteStartObject();
                    w.WriteString("name", snapshot.Name);
                    w.WriteString("createdAt", snapshot.CreatedAt);
                    w.WriteBoolean("stateful", snapshot.Stateful);
                    if (snapshot.ExpiresAt is { } expires)
                        w.WriteString("expiresAt", expires);
                    else
                        w.WriteNull("expiresAt");
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            return 0;
        }
        if (snapshots.Count == 0)
        {
            Terminal.Say($"Sandbox '{sandbox.Name}' has no snapshots. Take one with: dotnet isb snapshot {sandbox.Name}");
            return 0;
        }
        var now = DateTimeOffset.UtcNow;
        var table = new Table("NAME", "CREATED", "AGE", "EXPIRES");
        foreach (var snapshot in snapshots)
            table.Add(snapshot.Name, Time(snapshot.CreatedAt), SandboxFormat.Age(snapshot.CreatedAt, now),
                snapshot.ExpiresAt is { } expires ? Time(expires) : null);
        table.WriteTo(Console.Out);
        return 0;
    }

    private static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
