using System.Text.Json;
using IncusTestKit.Client.Models;

namespace IncusTestKit.Client;

/// <summary>The server itself (<c>/1.0</c>), its projects and its host's resources.</summary>
internal sealed class ServerApi(IncusClient client)
{
    public async Task<ServerInfo> GetAsync(CancellationToken cancellationToken)
    {
        var context = client.Context("Reading the server's information");
        var info = await client.GetAsync("/1.0", IncusJsonContext.Default.ServerInfo, context, cancellationToken).ConfigureAwait(false);
        // An untrusted client still gets /1.0 (a public subset), and nothing else: say so here rather than at the next call.
        if (info.Auth == "untrusted")
            throw IncusErrorMapper.Create(DaemonCondition.NotAuthorized, context);
        return info;
    }

    /// <summary>Whether the project exists: listing an unknown project's instances answers an empty list, not an error.</summary>
    public async Task<bool> ProjectExistsAsync(string project, CancellationToken cancellationToken)
    {
        var context = client.Context($"Looking up project '{project}'");
        var response = await client.Transport.SendAsync(HttpMethod.Get, $"/1.0/projects/{Uri.EscapeDataString(project)}", null, context.What, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        if (response.IsError && response.ErrorCode == 404)
            return false;
        if (response.IsError)
            throw IncusErrorMapper.Map(response.ErrorCode, response.Error, context);
        return true;
    }

    /// <summary>The host's CPU threads and memory in bytes (<c>GET /1.0/resources</c>).</summary>
    public async Task<HostResources> GetResourcesAsync(CancellationToken cancellationToken)
    {
        var metadata = (await client.RequestAsync(HttpMethod.Get, "/1.0/resources", null, client.Context("Reading the host's resources"), cancellationToken).ConfigureAwait(false)).Metadata;
        return new HostResources(Number(metadata, "cpu"), Number(metadata, "memory"));
    }

    private static long Number(JsonElement metadata, string section) =>
        metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty(section, out var s) && s.ValueKind == JsonValueKind.Object
            && s.TryGetProperty("total", out var total) && total.TryGetInt64(out var value) ? value : 0;
}

/// <summary>What the host has: CPU threads and memory in bytes; 0 where the daemon did not say.</summary>
internal sealed record HostResources(long Cpus, long MemoryBytes);
