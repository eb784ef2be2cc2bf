using IncusTestKit.Client.Models;
using IncusTestKit.Errors;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// Labels live in the instance config as <c>user.KEY</c>. IncusTestKit's own ownership labels use the
/// reserved <c>user.isb.</c> namespace, so a reaper, <c>dotnet isb list</c> and later sessions can tell
/// what we created, by which process, and from what.
/// </summary>
internal static class SandboxLabels
{
    public const string UserPrefix = "user.";
    public const string OwnPrefix = "user.isb.";
    public const string Managed = "user.isb.managed";
    public const string Session = "user.isb.session";
    public const string CreateId = "user.isb.create-id";
    public const string Image = "user.isb.image";
    public const string AutoDestroy = "user.isb.auto-destroy";

    /// <summary>
    /// The process that must destroy the sandbox (<see cref="OwnerProcess"/>): set on every auto-destroy sandbox from
    /// its create request on (removed only from one kept for inspection after a readiness timeout, or handed over with
    /// <see cref="Sandbox.KeepAsync"/>). A sandbox whose owner is provably gone is a leftover that <see cref="LeftoverReaper"/>
    /// destroys. Its value for this process: <see cref="OwnerProcess.CurrentValue"/>.
    /// </summary>
    public const string Owner = "user.isb.owner";

    /// <summary>The exec channel the sandbox was created with (<see cref="SandboxOptions.ExecChannel"/>): <c>auto</c> or <c>agent</c>; absent for the daemon.</summary>
    public const string ExecChannel = "user.isb.exec-channel";

    /// <summary>The exec channel a sandbox's config asks for; the daemon when it names none (or one this version does not know).</summary>
    public static Exec.ExecChannel ExecChannelOf(IReadOnlyDictionary<string, string> config) => config.GetValueOrDefault(ExecChannel) switch
    {
        "auto" => Exec.ExecChannel.Auto,
        "agent" => Exec.ExecChannel.Agent,
        _ => Exec.ExecChannel.Daemon,
    };

    /// <summary>Identifies this process's sandboxes (for reaping after a crash).</summary>
    public static string SessionId { get; } = $"{Environment.ProcessId}-{SandboxNames.Generate("s")[2..]}";

    public static void Validate(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in labels)
        {
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                throw new InvalidNameException($"Label key '{key}' is invalid: use letters, digits, '.', '_' and '-' (for example: team=payments).");
            if (key.StartsWith("isb.", StringComparison.Ordinal))
                throw new InvalidNameException($"Label key '{key}' is reserved: keys starting with 'isb.' are IncusTestKit's own.");
            ArgumentNullException.ThrowIfNull(value, $"labels[{key}]");
        }
    }

    public static IReadOnlyDictionary<string, string> UserLabelsOf(IReadOnlyDictionary<string, string> config) =>
        config.Where(kv => kv.Key.StartsWith(UserPrefix, StringComparison.Ordinal) && !kv.Key.StartsWith(OwnPrefix, StringComparison.Ordinal))
              .ToDictionary(kv => kv.Key[UserPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    /// <summary>The fingerprint of the image an instance was created from (set by the daemon on every instance).</summary>
    public const string BaseImage = "volatile.base_image";

    /// <summary>
    /// What an instance was created from: the image as the user named it when we created it; for others, an alias of
    /// its base image (from <paramref name="aliases"/>, fingerprint to alias), else the image's description.
    /// </summary>
    public static string? ImageOf(IReadOnlyDictionary<string, string> config, IReadOnlyDictionary<string, string>? aliases) =>
        config.GetValueOrDefault(Image)
        ?? (config.GetValueOrDefault(BaseImage) is { } fingerprint && aliases?.GetValueOrDefault(fingerprint) is { } alias ? alias : null)
        ?? config.GetValueOrDefault("image.description");

    public static SandboxInfo ToInfo(Instance instance, string fallbackProject, IReadOnlyDictionary<string, string>? aliases = null)
    {
        var state = instance.State;
        return new SandboxInfo
        {
            Name = instance.Name,
            Project = instance.Project.Length > 0 ? instance.Project : fallbackProject,
            Type = instance.Type == "virtual-machine" ? SandboxType.VirtualMachine : SandboxType.Container,
            State = SandboxStates.FromStatusCode(state?.StatusCode ?? instance.StatusCode),
            Image = ImageOf(instance.Config, aliases),
            IPv4Address = SandboxStates.GlobalIPv4(state),
            Ephemeral = instance.Ephemeral,
            ManagedByIncusTestKit = instance.Config.GetValueOrDefault(Managed) == "true",
            CreatedAt = instance.CreatedAt,
            Location = instance.Location is "" or "none" ? null : instance.Location,
            ExecChannel = ExecChannelOf(instance.Config),
            Labels = UserLabelsOf(instance.Config),
            // A stopped instance reports 0 for both, and -1 processes when the daemon cannot count them: not measurements.
            Processes = state?.Processes is > 0 and <= int.MaxValue ? (int)state.Processes : null,
            MemoryUsage = state?.Memory?.Usage is > 0 ? state.Memory.Usage : null,
        };
    }
}
