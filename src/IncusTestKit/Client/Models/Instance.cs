namespace IncusTestKit.Client.Models;

/// <summary>An instance as <c>GET /1.0/instances?recursion=1|2</c> returns it.</summary>
internal sealed record Instance
{
    public string Name { get; init; } = "";
    public string Type { get; init; } = "";
    public string Architecture { get; init; } = "";
    public bool Stateful { get; init; }
    public string Status { get; init; } = "";
    public int StatusCode { get; init; }
    public bool Ephemeral { get; init; }
    public string Description { get; init; } = "";
    public string Project { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public IReadOnlyList<string> Profiles { get; init; } = [];
    public Dictionary<string, string> Config { get; init; } = [];
    public Dictionary<string, string> ExpandedConfig { get; init; } = [];
    public Dictionary<string, Dictionary<string, string>> Devices { get; init; } = [];
    public Dictionary<string, Dictionary<string, string>> ExpandedDevices { get; init; } = [];
    public InstanceState? State { get; init; }
}
