using IncusTestKit.Configuration;

namespace IncusTestKit.Client;

/// <summary>What a request was about, so one mapper can turn the daemon's words into a precise error.</summary>
/// <param name="What">The action, for messages: "Creating sandbox 'x'".</param>
/// <param name="Project">The project the request was scoped to.</param>
internal sealed record IncusErrorContext(string What, string Project)
{
    public string? Instance { get; init; }
    public string? Image { get; init; }
    public string? Path { get; init; }
    public string? Snapshot { get; init; }

    /// <summary>The cluster member or group a create was aimed at.</summary>
    public string? Target { get; init; }

    /// <summary>The daemon the request went to, for errors about reaching it (see <see cref="Configuration.IncusEndpoint.ToString"/>).</summary>
    public IncusEndpoint? Endpoint { get; init; }
}
