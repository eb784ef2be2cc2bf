using IncusTestKit.Client.Models;
using IncusTestKit.Errors;

namespace IncusTestKit.Client;

/// <summary>Local images and their aliases.</summary>
internal sealed class ImagesApi(IncusClient client)
{
    /// <summary>The image an alias points to, or null when there is no such alias.</summary>
    public Task<ImageAlias?> TryGetAliasAsync(string alias, CancellationToken cancellationToken) =>
        TryGetAsync($"/1.0/images/aliases/{EscapePath(alias)}", IncusJsonContext.Default.ImageAlias, alias, cancellationToken);

    /// <summary>Every alias of the project's images, with the fingerprint each points to.</summary>
    public Task<List<ImageAlias>> ListAliasesAsync(CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped("/1.0/images/aliases?recursion=1"), IncusJsonContext.Default.ListImageAlias, client.Context("Listing image aliases"), cancellationToken);

    /// <summary>The image with that fingerprint (a unique prefix works), or null.</summary>
    public Task<Image?> TryGetAsync(string fingerprint, CancellationToken cancellationToken) =>
        TryGetAsync($"/1.0/images/{Uri.EscapeDataString(fingerprint)}", IncusJsonContext.Default.Image, fingerprint, cancellationToken);

    private async Task<T?> TryGetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string image, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await client.GetAsync(client.Scoped(path), typeInfo, client.Context("Looking up an image") with { Image = image }, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageNotFoundException)
        {
            return null;
        }
    }

    // Aliases may hold '/', which the daemon's router takes literally; everything else is escaped.
    private static string EscapePath(string value) => string.Join('/', value.Split('/').Select(Uri.EscapeDataString));
}
