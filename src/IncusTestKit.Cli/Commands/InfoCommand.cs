using System.CommandLine;
using System.Globalization;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb info &lt;name&gt;</c>: what one sandbox is now.</summary>
internal sealed class InfoCommand : SandboxVerb
{
    private readonly Option<bool> _json = CommonOptions.Json();

    public InfoCommand() : base("info", "Show a sandbox's state, address, image, labels and usage")
    {
        Options.Add(_json);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb info web",
        "dotnet isb info web --json | jq -r .ipv4",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var info = await sandbox.GetInfoAsync(cancellationToken);
        var exec = await ExecChannelInUseAsync(sandbox, info, cancellationToken);

        if (parseResult.GetValue(_json))
        {
            Json.Write(w => SandboxFormat.WriteInfo(w, info, exec.InUse));
            return 0;
        }
        new KeyValueBlock()
            .Add("Name", info.Name)
            .Add("Project", info.Project)
            .Add("State", SandboxFormat.State(info.State))
            .Add("Type", SandboxFormat.ShortType(info.Type))
            .Add("Image", info.Image)
            .Add("IPv4", info.IPv4Address)
            .Add("Location", info.Location)
            .Add("Created", info.CreatedAt == default ? null
                : $"{info.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} ({SandboxFormat.Age(info.CreatedAt, DateTimeOffset.UtcNow)} ago)")
            .Add("Ephemeral", info.Ephemeral ? "yes" : "no")
            .Add("Managed", info.ManagedByIncusTestKit ? "yes (created by IncusTestKit)" : "no")
            .Add("Exec", exec.Text)
            .Add("Labels", SandboxFormat.Labels(info.Labels))
            .Add("Processes", info.Processes?.ToString(CultureInfo.InvariantCulture))
            .Add("Memory", info.MemoryUsage is { } memory ? SandboxFormat.Bytes(memory) : null)
            .WriteTo(Console.Out);
        return 0;
    }

    /// <summary>
    /// The channel its commands use. A sandbox made for the agent is asked, which starts the agent as a first command
    /// would (or finds that the image cannot run it); a stopped one cannot tell yet.
    /// </summary>
    private static async Task<(ExecChannel? InUse, string Text)> ExecChannelInUseAsync(Sandbox sandbox, SandboxInfo info, CancellationToken cancellationToken)
    {
        if (info.ExecChannel == ExecChannel.Daemon)
            return (ExecChannel.Daemon, "daemon (an exec operation per command)");
        var asked = info.ExecChannel == ExecChannel.Auto ? "auto" : "agent";
        if (info.State != SandboxState.Running)
            return (null, $"{asked} (decided on its first command once it runs)");
        try
        {
            return await sandbox.GetExecChannelAsync(cancellationToken) == ExecChannel.Agent
                ? (ExecChannel.Agent, $"agent ({asked}: IncusTestKit's exec agent, one open stream for every command)")
                : (ExecChannel.Daemon, $"daemon ({asked}: the sandbox cannot run the exec agent)");
        }
        catch (ExecAgentException)
        {
            return (null, "agent, which the sandbox cannot run: its commands fail (create it with --exec-channel auto)");
        }
    }
}
