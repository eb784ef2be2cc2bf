namespace IncusTestKit.Client.Models;

/// <summary><c>GET /1.0/images/{fingerprint}</c>.</summary>
internal sealed record Image
{
    public string Fingerprint { get; init; } = "";
    public string Type { get; init; } = "";
    public long Size { get; init; }
    public Dictionary<string, string> Properties { get; init; } = [];
}

/// <summary><c>GET /1.0/images/aliases/{name}</c>.</summary>
internal sealed record ImageAlias
{
    public string Name { get; init; } = "";
    public string Target { get; init; } = "";
    public string Type { get; init; } = "";
}
