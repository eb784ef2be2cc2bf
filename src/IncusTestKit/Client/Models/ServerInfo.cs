namespace IncusTestKit.Client.Models;

/// <summary><c>GET /1.0</c>.</summary>
internal sealed record ServerInfo
{
    public string ApiVersion { get; init; } = "";
    public IReadOnlyList<string> ApiExtensions { get; init; } = [];
    public string Auth { get; init; } = "";
    public ServerEnvironment Environment { get; init; } = new();
}

internal sealed record ServerEnvironment
{
    public string ServerVersion { get; init; } = "";
    public string Driver { get; init; } = "";
    public string Storage { get; init; } = "";
    public string KernelVersion { get; init; } = "";
    public IReadOnlyList<string> Architectures { get; init; } = [];
    public Dictionary<string, string> KernelFeatures { get; init; } = [];
    public Dictionary<string, string> LxcFeatures { get; init; } = [];
}
