using System.Text.Json;

namespace IncusTestKit.Client.Models;

/// <summary>A background operation (<c>/1.0/operations/{id}</c>).</summary>
internal sealed record Operation
{
    public string Id { get; init; } = "";
    public string Class { get; init; } = "";
    public string Description { get; init; } = "";
    public string Status { get; init; } = "";
    public int StatusCode { get; init; }
    public string Err { get; init; } = "";
    public JsonElement Metadata { get; init; }

    /// <summary>The URLs of what the operation works on, by kind (<c>instances</c>, <c>instances_snapshots</c>).</summary>
    public Dictionary<string, List<string>>? Resources { get; init; }

    /// <summary>Final once the status code reaches 200 (Success), 400 (Failure) or 401 (Cancelled).</summary>
    public bool IsFinal => StatusCode >= 200;

    public bool Succeeded => StatusCode == 200;
}
