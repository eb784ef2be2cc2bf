namespace IncusTestKit.Client.Models;

/// <summary>
/// An instance as <c>GET /1.0/instances?recursion=1|2</c> returns it. The daemon sends null for the maps and lists of
/// an instance it could not fully load (one being deleted, or broken): they read as empty.
/// </summary>
internal sealed record Instance
{
    public string Name { get; init => field = value ?? ""; } = "";
    public string Type { get; init => field = value ?? ""; } = "";
    public string Architecture { get; init; } = "";
    public bool Stateful { get; init; }
    public string Status { get; init => field = value ?? ""; } = "";
    public int StatusCode { get; init; }
    public bool Ephemeral { get; init; }
    public string Description { get; init => field = value ?? ""; } = "";
    public string Project { get; init => field = value ?? ""; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyList<string> Profiles { get; init => field = value ?? []; } = [];
    public Dictionary<string, string> Config { get; init => field = value ?? []; } = [];
    public Dictionary<string, string> ExpandedConfig { get; init => field = value ?? []; } = [];
    public Dictionary<string, Dictionary<string, string>> Devices { get; init => field = value ?? []; } = [];
    public Dictionary<string, Dictionary<string, string>> ExpandedDevices { get; init => field = value ?? []; } = [];
    /// <summary>The cluster member the instance is on; <c>none</c> on a server that is not clustered.</summary>
    public string Location { get; init => field = value ?? ""; } = "";
    public InstanceState? State { get; init; }
}
