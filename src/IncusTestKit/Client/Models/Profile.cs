namespace IncusTestKit.Client.Models;

/// <summary><c>GET /1.0/profiles/{name}</c>.</summary>
internal sealed record Profile
{
    public string Name { get; init; } = "";
    public Dictionary<string, string> Config { get; init; } = [];
    public Dictionary<string, Dictionary<string, string>> Devices { get; init; } = [];
}
