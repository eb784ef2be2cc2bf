namespace IncusTestKit.Client.Models;

/// <summary><c>GET /1.0/instances/{name}/state</c>.</summary>
internal sealed record InstanceState
{
    public string Status { get; init; } = "";
    public int StatusCode { get; init; }
    public long Pid { get; init; }
    public long Processes { get; init; }
    public InstanceMemory? Memory { get; init; }
    public Dictionary<string, InstanceNetwork>? Network { get; init; }
}

internal sealed record InstanceMemory(long Usage, long Total);

internal sealed record InstanceNetwork
{
    public IReadOnlyList<InstanceAddress> Addresses { get; init; } = [];
}

internal sealed record InstanceAddress(string Family, string Address, string Netmask, string Scope);
