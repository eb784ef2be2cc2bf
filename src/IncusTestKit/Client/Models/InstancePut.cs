namespace IncusTestKit.Client.Models;

/// <summary>
/// Body of <c>PUT /1.0/instances/{name}</c>: the writable fields, replaced wholesale. The only way to remove a device
/// (PATCH merges), so it is always built from a fresh read and sent with its ETag.
/// </summary>
internal sealed record InstancePut
{
    public string Architecture { get; init; } = "";
    public Dictionary<string, string> Config { get; init; } = [];
    public Dictionary<string, Dictionary<string, string>> Devices { get; init; } = [];
    public bool Ephemeral { get; init; }
    public IReadOnlyList<string> Profiles { get; init; } = [];
    public bool Stateful { get; init; }
    public string Description { get; init; } = "";

    public static InstancePut From(Instance instance) => new()
    {
        Architecture = instance.Architecture,
        Config = new Dictionary<string, string>(instance.Config, StringComparer.Ordinal),
        Devices = instance.Devices.ToDictionary(d => d.Key, d => new Dictionary<string, string>(d.Value, StringComparer.Ordinal), StringComparer.Ordinal),
        Ephemeral = instance.Ephemeral,
        Profiles = instance.Profiles,
        Stateful = instance.Stateful,
        Description = instance.Description,
    };
}

/// <summary>
/// Body of <c>PATCH /1.0/instances/{name}</c> (sync): config merged per key, devices per name. The description is
/// always sent because the daemon resets an omitted one.
/// </summary>
internal sealed record InstancePatch
{
    public Dictionary<string, string>? Config { get; init; }
    public Dictionary<string, Dictionary<string, string>>? Devices { get; init; }
    public required string Description { get; init; }
}
