using IncusTestKit.Client.Models;

namespace IncusTestKit.Client;

/// <summary>Profiles (<c>/1.0/profiles</c>).</summary>
internal sealed class ProfilesApi(IncusClient client)
{
    public Task<Profile> GetAsync(string name, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped("/1.0/profiles/" + Uri.EscapeDataString(name)), IncusJsonContext.Default.Profile,
            client.Context($"Reading profile '{name}'"), cancellationToken);

    /// <summary>The root disk the profiles give an instance (a later profile overrides an earlier one), or null.</summary>
    public async Task<(string Name, Dictionary<string, string> Device)?> FindRootDiskAsync(IReadOnlyList<string> profiles, CancellationToken cancellationToken)
    {
        (string, Dictionary<string, string>)? root = null;
        foreach (var name in profiles)
        {
            var profile = await GetAsync(name, cancellationToken).ConfigureAwait(false);
            foreach (var (deviceName, device) in profile.Devices)
            {
                if (device.GetValueOrDefault("type") == "disk" && device.GetValueOrDefault("path") == "/")
                    root = (deviceName, device);
            }
        }
        return root;
    }
}
