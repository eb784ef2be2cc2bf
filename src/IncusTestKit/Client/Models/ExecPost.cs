using System.Text.Json.Serialization;

namespace IncusTestKit.Client.Models;

/// <summary>Body of <c>POST /1.0/instances/{name}/exec</c>.</summary>
internal sealed record ExecPost
{
    public required IReadOnlyList<string> Command { get; init; }
    public Dictionary<string, string> Environment { get; init; } = [];
    public string? Cwd { get; init; }
    public uint User { get; init; }
    public uint Group { get; init; }
    public bool Interactive { get; init; }

    [JsonPropertyName("wait-for-websocket")]
    public bool WaitForWebsocket { get; init; }

    [JsonPropertyName("record-output")]
    public bool RecordOutput { get; init; }

    public int? Width { get; init; }
    public int? Height { get; init; }
}
