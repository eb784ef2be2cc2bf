using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IncusTestKit.Client.Models;
using Microsoft.Extensions.Logging;

namespace IncusTestKit.Client;

/// <summary>
/// The native Incus REST client: operation groups over one request path that appends the project
/// and maps every daemon error. Thread-safe; share one per process and server.
/// </summary>
internal sealed class IncusClient : IDisposable
{
    public IncusClient(Configuration.IncusEndpoint endpoint, string project, TimeSpan daemonTimeout, ILogger logger)
    {
        Logger = logger;
        Transport = new IncusTransport(endpoint, daemonTimeout, logger);
        Project = project;
        Server = new ServerApi(this);
        Instances = new InstancesApi(this);
        Images = new ImagesApi(this);
        Profiles = new ProfilesApi(this);
        Files = new FilesApi(this);
        Operations = new OperationsApi(this);
    }

    /// <summary>The daemon's own troubles: stalls, retries, long waits (see <see cref="Diagnostics.Log"/>).</summary>
    public ILogger Logger { get; }
    public IncusTransport Transport { get; }
    public string Project { get; }
    public ServerApi Server { get; }
    public InstancesApi Instances { get; }
    public ImagesApi Images { get; }
    public ProfilesApi Profiles { get; }
    public FilesApi Files { get; }
    public OperationsApi Operations { get; }

    public IncusErrorContext Context(string what) => new(what, Project) { Endpoint = Transport.Endpoint };

    /// <summary>Adds <c>project=</c> to a project-scoped path.</summary>
    public string Scoped(string path) => path + (path.Contains('?') ? '&' : '?') + "project=" + Uri.EscapeDataString(Project);

    /// <summary>Sends a request; a daemon error becomes the mapped exception.</summary>
    public Task<IncusResponse> RequestAsync(HttpMethod method, string path, HttpContent? body, IncusErrorContext context, CancellationToken cancellationToken) =>
        RequestAsync(method, path, body, context, ifMatch: null, cancellationToken);

    /// <summary>As above, made conditional on an ETag: a change since that read is <see cref="DaemonCondition.ChangedSinceRead"/>.</summary>
    public async Task<IncusResponse> RequestAsync(HttpMethod method, string path, HttpContent? body, IncusErrorContext context, string? ifMatch,
        CancellationToken cancellationToken)
    {
        var response = await Transport.SendAsync(method, path, body, context.What, TimeSpan.Zero, ifMatch, cancellationToken).ConfigureAwait(false);
        if (response.IsError)
            throw IncusErrorMapper.Map(response.ErrorCode, response.Error, context);
        return response;
    }

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> typeInfo, IncusErrorContext context, CancellationToken cancellationToken)
    {
        var response = await RequestAsync(HttpMethod.Get, path, null, context, cancellationToken).ConfigureAwait(false);
        return response.Metadata.Deserialize(typeInfo)!;
    }

    /// <summary>Starts an async operation and waits until it ends; a failed operation becomes the mapped exception.</summary>
    public Task<Operation> RunOperationAsync(HttpMethod method, string path, HttpContent? body, IncusErrorContext context, CancellationToken cancellationToken) =>
        RunOperationAsync(method, path, body, context, ifMatch: null, cancellationToken);

    /// <summary>As above, made conditional on an ETag (see <see cref="RequestAsync(HttpMethod, string, HttpContent?, IncusErrorContext, string?, CancellationToken)"/>).</summary>
    public async Task<Operation> RunOperationAsync(HttpMethod method, string path, HttpContent? body, IncusErrorContext context, string? ifMatch,
        CancellationToken cancellationToken)
    {
        var response = await RequestAsync(method, path, body, context, ifMatch, cancellationToken).ConfigureAwait(false);
        var operation = response.Metadata.Deserialize(IncusJsonContext.Default.Operation)!;
        return await Operations.WaitAsync(operation.Id, context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts an async operation and returns it as the daemon accepted it, without waiting for it.</summary>
    public async Task<Operation> StartOperationAsync(HttpMethod method, string path, HttpContent? body, IncusErrorContext context, CancellationToken cancellationToken)
    {
        var response = await RequestAsync(method, path, body, context, cancellationToken).ConfigureAwait(false);
        return response.Metadata.Deserialize(IncusJsonContext.Default.Operation)!;
    }

    public void Dispose() => Transport.Dispose();
}
