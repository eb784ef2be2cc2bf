using IncusTestKit.Client.Models;

namespace IncusTestKit.Client;

/// <summary>Profiles (<c>/1.0/profiles</c>).</summary>
internal sealed class ProfilesApi(IncusClient client)
{
    public Task<Profile> GetAsync(string name, CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped("/1.0/profiles/" + Uri.EscapeDataString(name)), IncusJsonContext.Default.Profile,
            client.Context($"Reading profile '{name}'"), cancellationToken);

    /// <summary>Every profile of the project.</summary>
    public Task<List<Profile>> ListAsync(CancellationToken cancellationToken) =>
        client.GetAsync(client.Scoped("/1.0/profiles?recursion=1"), IncusJsonContext.Default.ListProfile,
            client.Context("Listing profiles"), cancellationToken);

    /// <summary>The named profiles, in the order given (the order in which they apply to an instance).</summary>
    public async Task<IReadOnlyList<Profile>> GetAllAsync(IReadOnlyList<string> names, CancellationToken cancellationToken) =>
        await Task.WhenAll(names.Select(name => GetAsync(name, cancellationToken))).ConfigureAwait(false);

    /// <summary>The root disk the profiles give an instance (a later profile overrides an earlier one), or null.</summary>
    public static (string Name, Dictionary<string, string> Device)? FindRootDisk(IEnumerable<Profile> profiles) =>
        Effective(profiles).Where(d => d.Value.GetValueOrDefault("type") == "disk" && d.Value.GetValueOrDefault("path") == "/")
            .Select(d => ((string, Dictionary<string, string>)?)(d.Key, d.Value)).LastOrDefault();

    /// <summary>The names of the network cards the profiles give an instance.</summary>
    public static IReadOnlyList<string> FindNics(IEnumerable<Profile> profiles) =>
        Effective(profiles).Where(d => d.Value.GetValueOrDefault("type") == "nic").Select(d => d.Key).ToList();

    // A device of a later profile replaces the one of the same name from an earlier profile.
    private static Dictionary<string, Dictionary<string, string>> Effective(IEnumerable<Profile> profiles)
    {
        var devices = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var profile in profiles)
            foreach (var (name, device) in profile.Devices)
                devices[name] = device;
        return devices;
    }
}
