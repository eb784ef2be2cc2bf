using IncusTestKit.Client.Models;

namespace IncusTestKit.Client;

/// <summary>The server itself (<c>/1.0</c>).</summary>
internal sealed class ServerApi(IncusClient client)
{
    public Task<ServerInfo> GetAsync(CancellationToken cancellationToken) =>
        client.GetAsync("/1.0", IncusJsonContext.Default.ServerInfo, client.Context("Reading the server's information"), cancellationToken);
}
