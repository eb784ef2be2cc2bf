namespace IncusTestKit.Client.Models;

/// <summary>Body of <c>POST /1.0/instances</c>.</summary>
internal sealed record InstancesPost
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public required InstanceSource Source { get; init; }
    public bool Start { get; init; }
    public bool Ephemeral { get; init; }
    public IReadOnlyList<string>? Profiles { get; init; }
    public Dictionary<string, string> Config { get; init; } = [];
    public Dictionary<string, Dictionary<string, string>> Devices { get; init; } = [];
    public string? Description { get; init; }
}

/// <summary>Where a new instance's root filesystem comes from.</summary>
internal sealed record InstanceSource
{
    public string Type { get; init; } = "image";
    public string? Alias { get; init; }
    public string? Fingerprint { get; init; }
    public string? Server { get; init; }
    public string? Protocol { get; init; }
    public string? Mode { get; init; }
}
