using System.Globalization;
using System.Security.Cryptography;
using IncusTestKit.Mounts;
using IncusTestKit.MSBuild.Session;
using IncusTestKit.Sandboxes;
using IncusTestKit.Shared;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>
/// Creates and starts a sandbox. By default it is destroyed when the build ends, however the build ends
/// (<see cref="DestroyAfterBuild"/>); <see cref="IncusSandboxDestroy"/> destroys it earlier.
/// </summary>
/// <example>
/// <code>
/// &lt;IncusSandboxCreate Image="isb/debian12" Memory="2GiB" Mounts="@(SandboxMount)"&gt;
///   &lt;Output TaskParameter="SandboxName" PropertyName="MySandbox" /&gt;
/// &lt;/IncusSandboxCreate&gt;
/// </code>
/// </example>
public sealed class IncusSandboxCreate : IncusSandboxTask
{
    private const int MaxPool = 20;
    private SandboxOptions? _options;
    private int _poolSize;

    /// <summary>The image (alias or fingerprint), for example <c>isb/debian12</c>; empty for the client's default.</summary>
    public string? Image { get; set; }

    /// <summary><c>container</c> (the default) or <c>vm</c>.</summary>
    public string? Type { get; set; }

    /// <summary>The sandbox's name; empty for a generated one.</summary>
    public string? Name { get; set; }

    /// <summary>When <see cref="Name"/> is empty: the start of the generated name (for example <c>ci-</c>), so a team's sandboxes are easy to find.</summary>
    public string? NamePrefix { get; set; }

    /// <summary>A memory limit, for example <c>2GiB</c>.</summary>
    public string? Memory { get; set; }

    /// <summary>A CPU limit: the number of CPUs.</summary>
    public string? Cpu { get; set; }

    /// <summary>A limit on the number of processes.</summary>
    public string? Processes { get; set; }

    /// <summary>A root disk size, for example <c>10GiB</c>.</summary>
    public string? Disk { get; set; }

    /// <summary>Incus profiles to apply, in order, instead of the default profile.</summary>
    public string[] Profiles { get; set; } = [];

    /// <summary>Make an ephemeral instance (Incus deletes it when it stops).</summary>
    public bool Ephemeral { get; set; }

    /// <summary><c>default</c> (the default network) or <c>none</c> (no network at all).</summary>
    public string? Network { get; set; }

    /// <summary>
    /// Host folders to mount: the item is the host folder, metadata <c>SandboxPath</c> the absolute path in the sandbox and
    /// <c>Mode</c> one of <c>Overlay</c> (the default: the sandbox writes to its own layer, the host folder stays as it
    /// is), <c>ReadOnly</c> or <c>ReadWrite</c>.
    /// </summary>
    public ITaskItem[] Mounts { get; set; } = [];

    /// <summary>Labels: the item is the key, metadata <c>Value</c> its value.</summary>
    public ITaskItem[] Labels { get; set; } = [];

    /// <summary>On an Incus cluster: the member to create it on, or <c>@group</c> to let the cluster pick one of a group; empty: the cluster chooses.</summary>
    public string? Target { get; set; }

    /// <summary>
    /// Take the sandbox from a warm pool of this configuration kept in Incus, and top the pool up to this many ready
    /// sandboxes for the next task or build (the ready ones outlive the build, as those of <c>dotnet isb disp --pool</c>
    /// do). A claim costs tens of milliseconds instead of a create. Empty or 0: create it directly.
    /// Pooled sandboxes are named <see cref="NamePrefix"/> (default <c>msbuild-pool</c>), a hyphen and a random suffix. Not with
    /// <see cref="Name"/> or with <see cref="DestroyAfterBuild"/> off (a pooled sandbox is destroyed when the build ends).
    /// </summary>
    public string? Pool { get; set; }

    /// <summary>Destroy the sandbox when the build ends, even when it fails or is cancelled (default: true).</summary>
    public bool DestroyAfterBuild { get; set; } = true;

    /// <summary>
    /// The name of an environment variable of this build process to set to the sandbox's name, so that the
    /// processes the build starts afterwards (the test host of <c>dotnet test</c>) find it: <c>ISB_SANDBOX</c> for
    /// the xUnit fixtures. Empty to set none. The variable of that name followed by <c>_REMOTE</c>
    /// (<c>ISB_SANDBOX_REMOTE</c>) is set to <see cref="IncusSandboxTask.Remote"/>, or removed when it is empty, so they
    /// look the sandbox up on the remote it was created on.
    /// </summary>
    public string? EnvironmentVariable { get; set; }

    /// <summary>The name of the sandbox that was created.</summary>
    [Output]
    public string SandboxName { get; private set; } = "";

    private protected override bool Validate()
    {
        var limits = new SandboxLimits
        {
            Memory = Blank(Memory),
            Disk = Blank(Disk),
            Cpu = ParseCount(nameof(Cpu), Cpu),
            Processes = ParseCount(nameof(Processes), Processes),
        };
        SandboxType? type = Blank(Type)?.ToLowerInvariant() switch
        {
            null => null,
            "container" => SandboxType.Container,
            "vm" or "virtual-machine" => SandboxType.VirtualMachine,
            _ => Invalid<SandboxType?>(nameof(Type), Type, "use container or vm."),
        };
        var network = Blank(Network)?.ToLowerInvariant() switch
        {
            null or "default" => SandboxNetwork.Default,
            "none" => SandboxNetwork.None,
            _ => Invalid<SandboxNetwork>(nameof(Network), Network, "use default or none."),
        };
        // The SDK's own rule, checked here so the error names the task's parameter and nothing is created.
        if (limits.Memory is { } memory && !ByteSizes.IsValid(memory, allowPercent: true))
            LogInvalid(nameof(Memory), Memory, ByteSizes.Rule(allowPercent: true));
        if (limits.Disk is { } disk && !ByteSizes.IsValid(disk, allowPercent: false))
            LogInvalid(nameof(Disk), Disk, ByteSizes.Rule(allowPercent: false));
        var mounts = Mounts.Select(ToMount).ToList();
        _poolSize = Blank(Pool) is null || Pool!.Trim() == "0" ? 0 : ParseCount(nameof(Pool), Pool) ?? 0;
        if (_poolSize > MaxPool)
            LogInvalid(nameof(Pool), Pool, $"keep at most {MaxPool} ready sandboxes; each holds memory and disk while it waits.");
        if (_poolSize > 0 && Blank(Name) is not null)
            LogInvalid(nameof(Pool), Pool, "a pool names its sandboxes itself: leave Name empty (NamePrefix still applies).");
        if (_poolSize > 0 && !DestroyAfterBuild)
            LogInvalid(nameof(Pool), Pool, "a sandbox from a pool is destroyed when the build ends: leave DestroyAfterBuild on.");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var label in Labels)
            labels[label.ItemSpec] = label.GetMetadata("Value");
        if (Log.HasLoggedErrors)
            return false;
        _options = new SandboxOptions
        {
            Image = Blank(Image),
            Type = type,
            Name = Blank(Name) ?? (Blank(NamePrefix) is { } prefix ? prefix + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 10) : null),
            Limits = limits,
            Ephemeral = Ephemeral,
            Network = network,
            Mounts = mounts!,
            Labels = labels,
            AutoDestroy = DestroyAfterBuild,
            Target = Blank(Target),
        };
        if (Profiles.Length > 0)
            _options = _options with { Profiles = Profiles };
        return true;
    }

    private protected override async Task ExecuteAsync(BuildSandboxes sandboxes, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var sandbox = _poolSize > 0
            ? await sandboxes.Pool(Blank(Remote), _options! with { Name = null }, _poolSize, Blank(NamePrefix)?.TrimEnd('-') ?? "msbuild-pool")
                .AcquireAsync(cancellationToken).ConfigureAwait(false)
            : await sandboxes.Client(Blank(Remote)).CreateAsync(_options, cancellationToken).ConfigureAwait(false);
        sandboxes.Add(sandbox);
        SandboxName = sandbox.Name;
        if (Blank(EnvironmentVariable) is { } variable)
        {
            Environment.SetEnvironmentVariable(variable, sandbox.Name);
            // Removed when empty: a remote left by an earlier task of this process would send the lookup elsewhere.
            Environment.SetEnvironmentVariable(RemoteVariable(variable), Blank(Remote));
        }
        Log.LogMessage(MessageImportance.High, "Sandbox {0} {1} {2} in {3:0.0} s{4}.", sandbox.Name, _poolSize > 0 ? "claimed from the warm pool of" : "created from", sandbox.Image ?? "the default image",
            TimeProvider.System.GetElapsedTime(started).TotalSeconds, DestroyAfterBuild ? "; it is destroyed when the build ends" : "");
    }

    /// <summary>The variable naming the remote of the sandbox named by <paramref name="variable"/>.</summary>
    internal static string RemoteVariable(string variable) => variable + "_REMOTE";

    private MountOptions? ToMount(ITaskItem item)
    {
        var target = item.GetMetadata("SandboxPath");
        if (target.Length == 0)
        {
            LogInvalid("Mounts", item.ItemSpec, "give each mount a SandboxPath metadata: the absolute path in the sandbox, for example <SandboxMount Include=\"data\" SandboxPath=\"/data\" />.");
            return null;
        }
        var mode = Blank(item.GetMetadata("Mode")) is { } text
            ? Enum.TryParse<MountMode>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : Invalid<MountMode>("Mode", text, "use Overlay, ReadOnly or ReadWrite.")
            : MountMode.Overlay;
        return new MountOptions(item.ItemSpec, target) { Mode = mode };
    }

    private int? ParseCount(string parameter, string? value) =>
        Blank(value) is not { } text ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? count
        : Invalid<int?>(parameter, value, "use a whole number above 0.");
}
