using IncusTestKit.Errors;
using IncusTestKit.Files;

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
            await ThrowIfInstanceMissingAsync(instance, cancellationToken).ConfigureAwait(false);
            return false;
        }
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
        throw await ErrorAsync(envelope, instance, $"Checking '{path}'", path, cancellationToken).ConfigureAwait(false);
    }

    public async Task<byte[]> ReadAsync(string instance, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PathOf(instance, path));
        using var response = await client.Transport.SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
        throw await ErrorAsync(envelope, instance, $"Reading '{path}'", path, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The entry's type, mode, owner, size and time (lstat: a symlink is not followed), or null when the path does not exist.</summary>
    public async Task<FileStat?> TryStatAsync(string instance, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, PathOf(instance, path));
        using var response = await client.Transport.SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return StatOf(path, response);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            await ThrowIfInstanceMissingAsync(instance, cancellationToken).ConfigureAwait(false);
            return null;
        }
        // A HEAD answer has no body to say why it failed: ask again with a GET, which does.
        try
        {
            using var _ = await OpenAsync(instance, path, cancellationToken).ConfigureAwait(false);
        }
        catch (PathNotFoundException)
        {
            return null; // e.g. a path through a file: "not a directory"
        }
        throw IncusErrorMapper.Map((int)response.StatusCode, response.ReasonPhrase ?? "HEAD failed",
            client.Instances.Context($"Reading the attributes of '{path}'", instance) with { Path = path });
    }

    /// <summary>
    /// Starts a GET and hands back the response once its headers are in, so a file's body can be streamed; the
    /// caller disposes it. Its <c>X-Incus-Type</c> says what the body is: file bytes, a directory's JSON listing,
    /// or a symlink's target resolved to an absolute path.
    /// </summary>
    public async Task<HttpResponseMessage> OpenAsync(string instance, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, PathOf(instance, path));
        var response = await client.Transport.SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var envelope = await IncusTransport.ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
            throw await ErrorAsync(envelope, instance, $"Reading '{path}'", path, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The entry names of a directory response from <see cref="OpenAsync"/> (no <c>.</c> or <c>..</c>). A name that
    /// could address anything but an entry of that directory (<c>.</c>, <c>..</c>, empty, with <c>/</c> or NUL), or
    /// one listed twice, is refused: only a misbehaving daemon or VM agent sends one.
    /// </summary>
    public static async Task<List<string>> ReadNamesAsync(HttpResponseMessage response, string instance, string directory, CancellationToken cancellationToken)
    {
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
        var names = envelope.Metadata.ValueKind == System.Text.Json.JsonValueKind.Array
            ? System.Text.Json.JsonSerializer.Deserialize(envelope.Metadata, IncusJsonContext.Default.ListString) ?? []
            : [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name is null || !IsEntryName(name) || !seen.Add(name))
            {
                throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                    $"The listing of '{directory}' in sandbox '{instance}' holds the entry name '{name?.Replace("\0", "\\0", StringComparison.Ordinal)}', which "
                    + "cannot be an entry of that folder (it is '.', '..', empty, holds '/' or NUL, or is listed twice). The sandbox or its agent is misbehaving; nothing was done with it.");
            }
        }
        return names;
    }

    /// <summary>Whether a name from a listing names one entry of its folder and nothing else.</summary>
    public static bool IsEntryName(string name) =>
        name.Length > 0 && name is not ("." or "..") && !name.Contains('/', StringComparison.Ordinal) && !name.Contains('\0', StringComparison.Ordinal);

    /// <summary>Creates one directory (not its parents); an existing entry of any type at the path is left as it is.</summary>
    public async Task MkdirAsync(string instance, string path, uint uid, uint gid, int mode, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, PathOf(instance, path)) { Content = new ByteArrayContent([]) };
        AddPostHeaders(request, "directory", uid, gid, mode);
        await SendAsync(request, instance, $"Creating the directory '{path}'", path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a symlink at <paramref name="path"/> pointing to <paramref name="target"/> (kept as written).</summary>
    public async Task SymlinkAsync(string instance, string path, string target, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, PathOf(instance, path)) { Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(target)) };
        AddPostHeaders(request, "symlink", 0, 0, 0x1FF /* 0777 */);
        await SendAsync(request, instance, $"Creating the symlink '{path}'", path, cancellationToken).ConfigureAwait(false);
    }

    private static void AddPostHeaders(HttpRequestMessage request, string type, uint uid, uint gid, int mode)
    {
        // As for files: never form-encoded, and the mode in octal with a leading 0.
        request.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Add("X-Incus-type", type);
        request.Headers.Add("X-Incus-uid", uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Incus-gid", gid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("X-Incus-mode", "0" + Convert.ToString(mode, 8));
    }

    /// <summary>Reads the <c>X-Incus-*</c> headers of a HEAD or GET answer.</summary>
    public static FileStat StatOf(string path, HttpResponseMessage response)
    {
        var type = Header(response, "X-Incus-Type") switch
        {
            "directory" => FileType.Directory,
            "symlink" => FileType.Symlink,
            _ => FileType.File,
        };
        var mode = Header(response, "X-Incus-Mode") is { Length: > 0 } octal ? Convert.ToInt32(octal, 8) : 0;
        return new FileStat
        {
            Path = path,
            Type = type,
            Size = type == FileType.File ? response.Content.Headers.ContentLength ?? 0 : 0,
            Mode = (UnixFileMode)(mode & 0xFFF),
            Uid = ParseId(Header(response, "X-Incus-Uid")),
            Gid = ParseId(Header(response, "X-Incus-Gid")),
            ModifiedAt = ParseModified(Header(response, "X-Incus-Modified")) ?? response.Content.Headers.LastModified ?? DateTimeOffset.UnixEpoch,
        };
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    private static int ParseId(string? text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : -1;

    /// <summary>Go's time format: <c>2026-11-22 14:40:05.123456789 +0000 UTC</c> (fraction optional).</summary>
    private static DateTimeOffset? ParseModified(string? text)
    {
        var parts = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not { Length: >= 3 } || parts[2].Length != 5)
            return null;
        var time = parts[1];
        if (time.IndexOf('.', StringComparison.Ordinal) is var dot and > 0 && time.Length - dot - 1 > 7)
            time = time[..(dot + 8)]; // .NET keeps 100 ns ticks; Go sends nanoseconds
        var offset = parts[2][..3] + ":" + parts[2][3..];
        return DateTimeOffset.TryParseExact($"{parts[0]} {time} {offset}", "yyyy-MM-dd HH:mm:ss.FFFFFFF zzz",
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var value) ? value : null;
    }

    private async Task SendAsync(HttpRequestMessage request, string instance, string what, string path, CancellationToken cancellationToken)
    {
        using var response = await client.Transport.SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var envelope = await IncusTransport.ReadEnvelopeAsync(response, cancellationToken).ConfigureAwait(false);
        if (!envelope.IsError)
            return;
        throw await ErrorAsync(envelope, instance, what, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The mapped error of a failed files request; a 404 is first checked against the instance itself.</summary>
    private async Task<IncusTestKitException> ErrorAsync(IncusResponse envelope, string instance, string what, string path, CancellationToken cancellationToken)
    {
        if (envelope.ErrorCode == 404)
            await ThrowIfInstanceMissingAsync(instance, cancellationToken).ConfigureAwait(false);
        return IncusErrorMapper.Map(envelope.ErrorCode, envelope.Error, client.Instances.Context(what, instance) with { Path = path });
    }

    /// <summary>
    /// The files API answers 404 both for a missing path and for a missing instance (and a HEAD has no body to tell
    /// which): asking for the instance's state throws <see cref="SandboxNotFoundException"/> when it is the instance.
    /// </summary>
    private Task ThrowIfInstanceMissingAsync(string instance, CancellationToken cancellationToken) =>
        client.Instances.GetStateAsync(instance, cancellationToken);
}
