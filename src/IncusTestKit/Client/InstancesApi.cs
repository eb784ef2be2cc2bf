using IncusTestKit.Client.Models;

namespace IncusTestKit.Client;

/// <summary>Instances and their state (<c>/1.0/instances</c>).</summary>
internal sealed class InstancesApi(IncusClient client)
{
    public static string PathOf(string name) => "/1.0/instances/" + Uri.EscapeDataString(name);

    public IncusErrorContext Context(string what, string name) => client.Context(what) with { Instance = name };

    public Task<Operation> CreateAsync(InstancesPost body, IncusErrorContext context, CancellationToken cancellationToken) =>
        client.RunOperationAsync(HttpMethod.Post, client.Scoped("/1.0/instances"),
            IncusTransport.Json(body, IncusJsonContext.Default.InstancesPost), context, cancellationToken);

    public Task<Instance> GetAsync(string name, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped(PathOf(name) + "?recursion=1"), IncusJsonContext.Default.Instance,
            Context($"Reading sandbox '{name}'", name), cancellationToken);

    public Task<InstanceState> GetStateAsync(string name, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped(PathOf(name) + "/state"), IncusJsonContext.Default.InstanceState,
            Context($"Reading the state of sandbox '{name}'", name), cancellationToken);

    /// <summary>Instances with their state, optionally narrowed by a daemon-side filter expression.</summary>
    public Task<List<Instance>> ListAsync(string? filter, CancellationToken cancellationToken)
    {
        var path = "/1.0/instances?recursion=2" + (filter is null ? "" : "&filter=" + Uri.EscapeDataString(filter));
        return client.GetAsync(client.Scoped(path), IncusJsonContext.Default.ListInstance,
            client.Context("Listing sandboxes"), cancellationToken);
    }

    public Task<Operation> ChangeStateAsync(string name, InstanceStatePut body, IncusErrorContext context, CancellationToken cancellationToken) =>
        client.RunOperationAsync(HttpMethod.Put, client.Scoped(PathOf(name) + "/state"),
            IncusTransport.Json(body, IncusJsonContext.Default.InstanceStatePut), context, cancellationToken);

    public Task<Operation> DeleteAsync(string name, CancellationToken cancellationToken) =>
        client.RunOperationAsync(HttpMethod.Delete, client.Scoped(PathOf(name)), null,
            Context($"Destroying sandbox '{name}'", name), cancellationToken);

    public async Task<IReadOnlyList<string>> ListSnapshotNamesAsync(string name, CancellationToken cancellationToken)
    {
        var urls = await client.GetAsync(client.Scoped(PathOf(name) + "/snapshots"), IncusJsonContext.Default.ListString,
            Context($"Listing the snapshots of sandbox '{name}'", name), cancellationToken).ConfigureAwait(false);
        return urls.Select(u => Uri.UnescapeDataString(u[(u.LastIndexOf('/') + 1)..].Split('?')[0])).ToList();
    }
}
