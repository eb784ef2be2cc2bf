namespace IncusTestKit.Client;

/// <summary>Files inside an instance (<c>/1.0/instances/{name}/files?path=</c>).</summary>
internal sealed class FilesApi(IncusClient client)
{
    private string PathOf(string instance, string path) =>
        client.Scoped(InstancesApi.PathOf(instance) + "/files?path=" + Uri.EscapeDataString(path));

    public async Task<bool> ExistsAsync(string instance, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, PathOf(instance, path));
        using var response = await client.Transport.SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return true;
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // A missing instance is a 404 too; tell it apart from a missing path.
            await client.Instances.GetStateAsync(instance, cancellationToken).ConfigureAwait(false);
            return false;
        }
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
        throw IncusErrorMapper.Map(envelope.ErrorCode, envelope.Error, client.Instances.Context($"Checking '{path}'", instance) with { Path = path });
    }

    public async Task<byte[]> ReadAsync(string instance, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PathOf(instance, path));
        using var response = await client.Transport.SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
        if (envelope.ErrorCode == 404)
            await client.Instances.GetStateAsync(instance, cancellationToken).ConfigureAwait(false);
        throw IncusErrorMapper.Map(envelope.ErrorCode, envelope.Error, client.Instances.Context($"Reading '{path}'", instance) with { Path = path });
    }

    /// <summary>Creates or overwrites a file. Owner and mode apply only to a new file (the daemon keeps an existing file's).</summary>
    public async Task WriteAsync(string instance, string path, HttpContent content, uint uid, uint gid, int mode, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, PathOf(instance, path)) { Content = content };
        // Never form-encoded (the daemon would swallow the body); the mode is octal with a leading 0.
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add("X-Incus-type", "file");
        request.Headers.Add("X-Incus-write", "overwrite");
        request.Headers.Add("X-Incus-uid", uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Incus-gid", gid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Incus-mode", "0" + Convert.ToString(mode, 8));
        await SendAsync(request, instance, $"Writing '{path}'", path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a file, a symlink or an empty directory.</summary>
    public async Task DeleteAsync(string instance, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, PathOf(instance, path));
        await SendAsync(request, instance, $"Deleting '{path}'", path, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendAsync(HttpRequestMessage request, string instance, string what, string path, CancellationToken cancellationToken)
    {
        using var response = await client.Transport.SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
        if (!envelope.IsError)
            return;
        if (envelope.ErrorCode == 404)
            await client.Instances.GetStateAsync(instance, cancellationToken).ConfigureAwait(false);
        throw IncusErrorMapper.Map(envelope.ErrorCode, envelope.Error, client.Instances.Context(what, instance) with { Path = path });
    }
}
