using IncusTestKit.Errors;

namespace IncusTestKit.Configuration;

/// <summary>One remote of the Incus command-line client.</summary>
internal sealed record IncusRemote(string Name, string Address, string Protocol, bool Public, string? Project);

/// <summary>
/// The remotes the <c>incus</c> client knows: the user's <c>config.yml</c> (<c>$INCUS_CONF</c> or
/// <c>~/.config/incus</c>), then the system one, then the built-in <c>images</c> and <c>local</c>.
/// </summary>
internal sealed class IncusRemoteConfig
{
    public static readonly IncusRemote BuiltInImages = new("images", "https://images.linuxcontainers.org", "simplestreams", true, null);
    public static readonly IncusRemote BuiltInLocal = new("local", "unix://", "incus", false, null);

    private readonly Dictionary<string, IncusRemote> _remotes;

    public IncusRemoteConfig(IEnumerable<IncusRemote> remotes, string defaultRemote, string configDirectory)
    {
        ConfigDirectory = configDirectory;
        _remotes = new Dictionary<string, IncusRemote>(StringComparer.Ordinal)
        {
            [BuiltInImages.Name] = BuiltInImages,
        };
        foreach (var remote in remotes)
            _remotes[remote.Name] = remote;
        _remotes["local"] = BuiltInLocal with { Project = _remotes.GetValueOrDefault("local")?.Project };
        DefaultRemote = defaultRemote;
    }

    public string DefaultRemote { get; }

    /// <summary>The user's client folder: <c>client.crt</c>, <c>client.key</c> and <c>servercerts/</c> live there.</summary>
    public string ConfigDirectory { get; }

    /// <summary>The endpoint of a remote: null for <c>local</c> or a <c>unix://</c> remote without a path (the default socket).</summary>
    /// <exception cref="IncusTestKitException">The remote is unknown, or serves only images.</exception>
    public IncusEndpoint? EndpointOf(string remote)
    {
        if (remote == "local")
            return null;
        var entry = Find(remote) ?? throw new IncusTestKitException(SandboxErrorCode.InvalidConfiguration,
            $"Incus remote '{remote}' is not configured. Known remotes: {string.Join(", ", Names)}. Add it with 'incus remote add' or unset INCUS_REMOTE.");
        if (entry.Address.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = entry.Address["unix://".Length..];
            return path.Length == 0 ? null : IncusEndpoint.Unix(path);
        }
        if (entry.Protocol != "incus" || !entry.Address.StartsWith("https://", StringComparison.Ordinal))
        {
            throw new IncusTestKitException(SandboxErrorCode.InvalidConfiguration,
                $"Incus remote '{remote}' ({entry.Address}, protocol {entry.Protocol}) is an image server, not an Incus daemon: sandboxes cannot run there. " +
                "Choose a remote added with 'incus remote add NAME https://HOST:8443', or unset INCUS_REMOTE.");
        }
        // As the incus CLI: the server certificate accepted at 'incus remote add' is pinned; without one, the system's CAs decide.
        var pinned = Path.Combine(ConfigDirectory, "servercerts", remote + ".crt");
        return IncusEndpoint.Https(entry.Address, Path.Combine(ConfigDirectory, "client.crt"), Path.Combine(ConfigDirectory, "client.key"),
            File.Exists(pinned) ? pinned : null, remote);
    }

    public IEnumerable<string> Names => _remotes.Keys.Order(StringComparer.Ordinal);

    public IncusRemote? Find(string name) => _remotes.GetValueOrDefault(name);

    public string? ProjectOf(string remote) => Find(remote)?.Project;

    /// <summary>Reads the client configuration files; missing files mean the built-in defaults.</summary>
    public static IncusRemoteConfig Load(Func<string, string?> environment)
    {
        var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var userDir = environment("INCUS_CONF") ?? Path.Combine(home, ".config", "incus");
        var globalFile = environment("INCUS_GLOBAL_CONF") is { } g ? Path.Combine(g, "config.yml") : "/etc/incus/config.yml";

        var user = IncusConfigYaml.TryRead(Path.Combine(userDir, "config.yml"));
        var global = IncusConfigYaml.TryRead(globalFile);
        var remotes = new List<IncusRemote>();
        if (global is not null)
            remotes.AddRange(global.Remotes);
        if (user is not null)
            remotes.AddRange(user.Remotes);
        return new IncusRemoteConfig(remotes, user?.DefaultRemote ?? global?.DefaultRemote ?? "local", userDir);
    }
}
