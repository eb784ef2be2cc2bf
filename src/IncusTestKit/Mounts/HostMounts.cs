using System.Security.Cryptography;
using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Configuration;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Files;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Mounts;

/// <summary>
/// How a <see cref="MountOptions"/> becomes Incus state, shared by <see cref="Sandbox.MountAsync"/> and creation.
/// Each mount is one disk device named <c>isb-mount-&lt;id&gt;</c>, described by the config key
/// <c>user.isb.mount.&lt;device&gt;</c> (disk devices take no keys of our own). An overlay's device is the host
/// folder, read-only and idmapped, at a hidden lower path; upper and work directories sit beside it on the
/// container's root filesystem (present in every image, never a tmpfs that an init could mount over the lower),
/// and the overlay itself is mounted at the target from inside.
/// </summary>
internal static class HostMounts
{
    public const string DevicePrefix = "isb-mount-";
    public const string LabelPrefix = "user.isb.mount.";
    public const string OverlayRoot = "/var/lib/isb/mounts";

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly System.Buffers.SearchValues<char> IdCharacters = System.Buffers.SearchValues.Create(IdAlphabet);
    private const int IdLength = 8;

    // Values reach the scripts only as positional arguments ($1 = the mount's directory, $2 = the target).
    // The overlay is recognised in /proc/mounts by its upper directory, whose path is ours and needs no escaping.
    // userxattr: inside a user namespace overlayfs cannot write its trusted.* attributes, and without user.* ones
    // removing or replacing a directory of the host folder fails with EIO. Kernels older than 5.11 lack the
    // option (and unprivileged overlays), so a second try without it gives their own error.
    private const string MountScript = """
        set -e
        grep -qsF "upperdir=$1/upper," /proc/mounts && exit 0
        mkdir -p "$1/upper" "$1/work" "$2"
        options="lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work"
        mount -t overlay overlay -o "$options,userxattr" "$2" 2>/dev/null || exec mount -t overlay overlay -o "$options" "$2"
        """;

    // A process still inside the overlay keeps it busy; detaching it lazily still frees the target.
    private const string UnmountScript = """
        grep -qsF "upperdir=$1/upper," /proc/mounts || exit 0
        umount "$2" 2>/dev/null || umount -l "$2"
        """;

    // Whether root in the sandbox may write: a real write, since `test -w` in busybox and dash answers yes for root
    // without asking the kernel. A folder gets a new probe file (mktemp never reuses an existing name) that is removed
    // at once; a file is opened for appending, which changes neither its content nor its times.
    private const string WriteProbeScript = """
        if [ -d "$1" ]; then
            probe=$(mktemp "$1/.isb-write-probe-XXXXXX" 2>/dev/null) && rm -f "$probe"
        else
            : >> "$1" 2>/dev/null
        fi
        """;

    /// <summary>One mount, ready to be added to an instance.</summary>
    public sealed record Plan(MountInfo Info, Dictionary<string, string> Device, string LabelKey, string Label)
    {
        public bool IsOverlay => Info.Mode == MountMode.Overlay;
    }

    // System folders and the daemon's state: a sandbox given one of them (or a folder holding one) can reach the host.
    private static readonly string[] DangerousFolders = ["/etc", "/boot", "/dev", "/proc", "/sys", "/run", "/var/lib/incus"];

    /// <summary>
    /// Checks a mount request and puts its paths in canonical form (the source with its symlinks resolved); throws
    /// before anything is touched.
    /// </summary>
    /// <param name="options">The request.</param>
    /// <param name="type">The sandbox's type.</param>
    /// <param name="endpoint">Where the daemon is: the folder of its socket is never mounted unless forced, and a remote
    /// daemon cannot mount this machine's folders at all.</param>
    public static MountOptions Validate(MountOptions options, SandboxType type, IncusEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The daemon mounts a path of its own machine; from here there is no way to tell whether a remote one has the same folder.
        if (endpoint.IsRemote)
        {
            throw new MountException(
                $"Cannot mount '{options.Source}': the sandbox runs on the remote server {endpoint}, and a host-folder mount takes the folder " +
                "from the daemon's machine, not this one. Copy the files in instead (Sandbox.Files, dotnet isb push), or use a local daemon.");
        }
        var socketPath = endpoint.SocketPath!;
        if (!Enum.IsDefined(options.Mode))
            throw new ArgumentOutOfRangeException(nameof(options), options.Mode, "MountOptions.Mode must be Overlay, ReadOnly or ReadWrite.");
        if (string.IsNullOrEmpty(options.Source) || !Path.IsPathFullyQualified(options.Source))
            throw new ArgumentException($"MountOptions.Source '{options.Source}' must be an absolute host path.", nameof(options));
        var target = NormalizeTarget(options.Target, nameof(options));
        var given = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Source));
        if (!Directory.Exists(given) && !File.Exists(given))
            throw new PathNotFoundException($"The host folder '{given}' does not exist. Create it, or fix MountOptions.Source.");
        var source = HostPaths.ResolveLinks(given);
        if (!options.AllowDangerousSource)
            EnsureNotDangerous(given, source, socketPath);
        if (options.Mode == MountMode.Overlay)
        {
            if (type == SandboxType.VirtualMachine)
            {
                throw new MountException(
                    $"An overlay mount of '{source}' needs a container: it is made with overlayfs inside the sandbox, which a virtual machine cannot share with the host. Use MountMode.ReadOnly or MountMode.ReadWrite for a virtual machine.");
            }
            if (!Directory.Exists(source))
                throw new MountException($"An overlay mount needs a folder, and '{source}' is a file. Mount it ReadOnly or ReadWrite, or mount the folder that holds it.");
        }
        return options with { Source = source, Target = target };
    }

    private static void EnsureNotDangerous(string given, string source, string socketPath)
    {
        var named = given == source ? $"'{source}'" : $"'{given}' (which is '{source}')";
        const string Fix = "Mount a folder of your own instead, or, if the sandbox is meant to reach it, set MountOptions.AllowDangerousSource (--force).";
        var socketFolder = Path.GetDirectoryName(Path.GetFullPath(socketPath)) is { } folder && Directory.Exists(folder) ? HostPaths.ResolveLinks(folder) : null;
        foreach (var dangerous in DangerousFolders.Select(f => Directory.Exists(f) ? HostPaths.ResolveLinks(f) : f).Append(socketFolder).OfType<string>().Distinct())
        {
            if (source == dangerous || IsUnder(source, dangerous))
                throw new MountException($"Refusing to mount {named}: it is inside '{dangerous}', a system folder or the Incus daemon's own. {Fix}");
            if (IsUnder(dangerous, source))
                throw new MountException($"Refusing to mount {named}: it contains '{dangerous}', a system folder or the Incus daemon's own. {Fix}");
        }
        if (HostTree.Lstat(source)?.Kind == HostEntryKind.Socket)
            throw new MountException($"Refusing to mount {named}: it is a socket, through which the sandbox could talk to a host service. {Fix}");
        if (!Directory.Exists(source))
            return;
        // Only the folder's own entries are looked at: a deep tree is not walked on every mount.
        var socket = Directory.EnumerateFileSystemEntries(source).FirstOrDefault(e => HostTree.Lstat(e)?.Kind == HostEntryKind.Socket);
        if (socket is not null)
            throw new MountException($"Refusing to mount {named}: it holds the socket '{socket}', through which the sandbox could talk to a host service. {Fix}");
    }

    private static bool IsUnder(string path, string folder) =>
        path.StartsWith(folder == "/" ? "/" : folder + "/", StringComparison.Ordinal) && path != folder;

    /// <summary>An absolute target other than <c>/</c>, outside our own hidden directory, without a trailing slash.</summary>
    public static string NormalizeTarget(string target, string parameter)
    {
        ArgumentNullException.ThrowIfNull(target, parameter);
        SandboxFiles.ValidatePath(target);
        var normalized = SandboxFiles.Normalize(target);
        if (normalized == "/")
            throw new ArgumentException("A mount target cannot be '/': choose a folder such as /src.", parameter);
        if (normalized == OverlayRoot || normalized.StartsWith(OverlayRoot + "/", StringComparison.Ordinal) || OverlayRoot.StartsWith(normalized + "/", StringComparison.Ordinal))
            throw new ArgumentException($"A mount target cannot be '{normalized}': IncusTestKit keeps its overlays under {OverlayRoot}.", parameter);
        return normalized;
    }

    public static void EnsureDistinctTargets(IEnumerable<MountOptions> mounts)
    {
        var duplicate = mounts.GroupBy(m => m.Target, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Two mounts have the same target '{duplicate.Key}': give each its own.", nameof(mounts));
    }

    /// <summary>
    /// Whether host folders can be idmapped into containers. Without it, root inside sees the host's files as
    /// owned by nobody: reading still works where permissions allow, but an overlay cannot copy files up.
    /// </summary>
    public static async Task<bool> SupportsShiftAsync(IncusClient incus, CancellationToken cancellationToken)
    {
        var environment = (await incus.Server.GetAsync(cancellationToken).ConfigureAwait(false)).Environment;
        return environment.KernelFeatures.GetValueOrDefault("idmapped_mounts") == "true"
            && environment.LxcFeatures.GetValueOrDefault("idmapped_mounts_v2", "true") == "true";
    }

    /// <summary>Turns a validated mount into its device and label.</summary>
    public static Plan Build(MountOptions mount, SandboxType type, bool canShift)
    {
        // A read-write mount is never shifted: shifted, root in the sandbox writes as root on the host (and can leave
        // a setuid-root file there). Unshifted, it writes as its unprivileged host uid (1000000 with a default id map).
        var shift = canShift && type == SandboxType.Container && mount.Mode != MountMode.ReadWrite;
        if (mount.Mode == MountMode.Overlay && !shift)
        {
            throw new MountException(
                $"An overlay mount of '{mount.Source}' cannot work on this server: it needs idmapped mounts (the server reports kernel_features.idmapped_mounts other than \"true\"), " +
                "without which every write to an existing file fails with EACCES. Use a kernel with idmapped mounts (Linux 5.12 or later, on ext4, xfs or btrfs), or mount with MountMode.ReadOnly or MountMode.ReadWrite.");
        }
        var device = DevicePrefix + RandomNumberGenerator.GetString(IdAlphabet, IdLength);
        var config = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["type"] = "disk",
            ["source"] = mount.Source,
            ["path"] = mount.Mode == MountMode.Overlay ? DirectoryOf(device) + "/lower" : mount.Target,
        };
        if (mount.Mode != MountMode.ReadWrite)
            config["readonly"] = "true";
        if (shift)
            config["shift"] = "true";
        var label = JsonSerializer.Serialize(new MountLabel(mount.Source, mount.Target, NameOf(mount.Mode)), IncusJsonContext.Default.MountLabel);
        var info = new MountInfo { Source = mount.Source, Target = mount.Target, Mode = mount.Mode, DeviceName = device };
        return new Plan(info, config, LabelPrefix + device, label);
    }

    /// <summary>Our mounts on an instance: devices with our name prefix and our label, ordered by target.</summary>
    public static IReadOnlyList<MountInfo> Read(Instance instance)
    {
        var mounts = new List<MountInfo>();
        foreach (var (device, config) in instance.Devices)
        {
            if (!IsOurs(device) || config.GetValueOrDefault("type") != "disk"
                || instance.Config.GetValueOrDefault(LabelPrefix + device) is not { } json
                || TryParse(json) is not { } label || ModeOf(label.Mode) is not { } mode)
            {
                continue;
            }
            mounts.Add(new MountInfo { Source = config.GetValueOrDefault("source") ?? label.Source, Target = label.Target, Mode = mode, DeviceName = device });
        }
        return mounts.OrderBy(m => m.Target, StringComparer.Ordinal).ToList();
    }

    /// <summary>Mounts the overlay of <paramref name="mount"/> inside the running sandbox; one already mounted is left alone.</summary>
    public static async Task MountOverlayAsync(Sandbox sandbox, MountInfo mount, CancellationToken cancellationToken)
    {
        var result = await RunScriptAsync(sandbox, MountScript, mount, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var said = result.Stderr.Trim();
            throw new MountException(
                $"Mounting the overlay of '{mount.Source}' at '{mount.Target}' in sandbox '{sandbox.Name}' failed (exit code {result.ExitCode}): {said}. " +
                "The image needs a mount command, and the kernel must allow overlayfs in unprivileged containers (Linux 5.11 or later).");
        }
    }

    /// <summary>
    /// Checks, from inside the running container, that its root may write to a read-write mount: it writes as its
    /// unprivileged host uid, to which the host folder usually gives no write permission. The message says how to grant it.
    /// </summary>
    public static async Task EnsureWritableAsync(Sandbox sandbox, Instance instance, MountInfo mount, CancellationToken cancellationToken)
    {
        var probe = await sandbox.RunCommandAsync(["sh", "-c", WriteProbeScript, "sh", mount.Target],
            new CommandOptions { Timeout = TimeSpan.FromSeconds(60) }, cancellationToken).ConfigureAwait(false);
        if (probe.Succeeded)
            return;
        var uid = HostRootUid(instance);
        var who = uid is null ? "its unprivileged host uid (volatile.idmap.current)" : $"host uid {uid}";
        var id = uid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "UID";
        throw new MountException(
            $"Sandbox '{sandbox.Name}' may not write to '{mount.Source}': root in the sandbox writes to a read-write mount as {who}, never as host root, and that uid may not write there. " +
            $"Let it: chown {id} '{mount.Source}', or keep the owner and add a grant: setfacl -m u:{id}:rwx,d:u:{id}:rwx '{mount.Source}' (package acl). " +
            "Or mount it Overlay (the default: writes stay in the sandbox) and pull what you need.");
    }

    /// <summary>The host uid that root in the container runs as, from its id map; null when the map is unknown.</summary>
    public static long? HostRootUid(Instance instance)
    {
        var map = instance.Config.GetValueOrDefault("volatile.idmap.current") is { Length: > 2 } current ? current : instance.Config.GetValueOrDefault("volatile.idmap.next");
        if (string.IsNullOrEmpty(map))
            return null;
        try
        {
            using var json = JsonDocument.Parse(map);
            foreach (var entry in json.RootElement.EnumerateArray())
            {
                if (entry.TryGetProperty("Isuid", out var isUid) && isUid.GetBoolean()
                    && entry.GetProperty("Nsid").GetInt64() == 0)
                    return entry.GetProperty("Hostid").GetInt64();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            // An unexpected format: the message falls back to naming the key.
        }
        return null;
    }

    /// <summary>Unmounts the overlay of <paramref name="mount"/> if it is mounted (it is not after a restart).</summary>
    public static async Task UnmountOverlayAsync(Sandbox sandbox, MountInfo mount, CancellationToken cancellationToken)
    {
        var result = await RunScriptAsync(sandbox, UnmountScript, mount, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var said = result.Stderr.Trim();
            throw new MountException($"Unmounting the overlay at '{mount.Target}' in sandbox '{sandbox.Name}' failed (exit code {result.ExitCode}): {said}");
        }
    }

    /// <summary>Discards an overlay's writes: its upper and work directories, then the emptied directories.</summary>
    public static async Task RemoveOverlayDirectoriesAsync(Sandbox sandbox, MountInfo mount, CancellationToken cancellationToken)
    {
        // Never recursive on the lower directory: were the host folder still bound there, it is the host's data.
        var directory = DirectoryOf(mount.DeviceName);
        await sandbox.Files.DeleteAsync(directory + "/upper", recursive: true, force: true, cancellationToken).ConfigureAwait(false);
        await sandbox.Files.DeleteAsync(directory + "/work", recursive: true, force: true, cancellationToken).ConfigureAwait(false);
        foreach (var empty in new[] { directory + "/lower", directory })
        {
            try
            {
                await sandbox.Files.DeleteAsync(empty, force: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (IncusTestKitException e) when (e.Code == SandboxErrorCode.OperationFailed)
            {
                // Not empty: left as it is, and nothing of the host's is touched.
            }
        }
    }

    public static bool IsOurs(string device) =>
        device.Length == DevicePrefix.Length + IdLength && device.StartsWith(DevicePrefix, StringComparison.Ordinal)
        && device.AsSpan(DevicePrefix.Length).IndexOfAnyExcept(IdCharacters) < 0;

    private static string DirectoryOf(string device) =>
        IsOurs(device) ? OverlayRoot + "/" + device[DevicePrefix.Length..] : throw new ArgumentException($"'{device}' is not an IncusTestKit mount device.", nameof(device));

    private static Task<ExecResult> RunScriptAsync(Sandbox sandbox, string script, MountInfo mount, CancellationToken cancellationToken) =>
        sandbox.RunCommandAsync(["sh", "-c", script, "sh", DirectoryOf(mount.DeviceName), mount.Target],
            new CommandOptions { Timeout = TimeSpan.FromSeconds(60) }, cancellationToken);

    private static MountLabel? TryParse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, IncusJsonContext.Default.MountLabel);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string NameOf(MountMode mode) => mode switch
    {
        MountMode.ReadOnly => "readonly",
        MountMode.ReadWrite => "readwrite",
        _ => "overlay",
    };

    private static MountMode? ModeOf(string name) => name switch
    {
        "overlay" => MountMode.Overlay,
        "readonly" => MountMode.ReadOnly,
        "readwrite" => MountMode.ReadWrite,
        _ => null,
    };
}
