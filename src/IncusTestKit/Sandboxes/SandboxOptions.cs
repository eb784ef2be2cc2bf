using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Mounts;

namespace IncusTestKit.Sandboxes;

/// <summary>How to create a sandbox. Every property has a sensible default; <c>new SandboxOptions()</c> works.</summary>
public sealed record SandboxOptions
{
    /// <summary>A local alias (<c>isb/busybox</c>), a fingerprint, or <c>remote:alias</c>. Default: the client's default image.</summary>
    public string? Image { get; init; }

    /// <summary>Container or virtual machine. Default: the client's default type (container).</summary>
    public SandboxType? Type { get; init; }

    /// <summary>The instance name: 1-63 letters, digits and hyphens, not starting or ending with a hyphen.
    /// Default: <c>sandbox-</c> and a cryptographically random suffix.</summary>
    public string? Name { get; init; }

    /// <summary>CPU, memory, disk and process limits.</summary>
    public SandboxLimits Limits { get; init; } = SandboxLimits.Default;

    /// <summary>
    /// On an Incus cluster, the member to create the sandbox on (<c>node2</c>) or a cluster group to pick one from
    /// (<c>@gpu</c>); <see cref="SandboxInfo.Location"/> says where it landed. Default: null, the cluster chooses.
    /// A server that is not clustered refuses a target (<see cref="SandboxErrorCode.InvalidTarget"/>).
    /// </summary>
    public string? Target { get; init; }

    /// <summary>Incus profiles to apply, in order. Default: <c>default</c>.</summary>
    public IReadOnlyList<string> Profiles { get; init; } = ["default"];

    /// <summary>Destroy the sandbox when its <see cref="Sandbox"/> is disposed, when its <see cref="SandboxClient"/> is
    /// disposed, and when the process exits (normally, on Ctrl-C, SIGTERM or SIGHUP). When the process is killed
    /// (SIGKILL), the next leftover sweep on the same machine destroys it (see <see cref="SandboxClient.ReapLeftoversAsync"/>).
    /// Default: true. Either way, a sandbox whose creation is cancelled or cut short by the process's end is deleted.</summary>
    public bool AutoDestroy { get; init; } = true;

    /// <summary>Make it an Incus ephemeral instance: the daemon deletes it whenever it stops, even if this process died.</summary>
    public bool Ephemeral { get; init; }

    /// <summary>How long to wait for the sandbox to run and get a network address. Default: 60 seconds.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Your labels, stored as <c>user.KEY</c> config on the instance so it can be found later.
    /// Keys are letters, digits, '.', '_' and '-'; keys starting with <c>isb.</c> are reserved.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Host folders to mount; every one is in place when <see cref="SandboxClient.CreateAsync"/> returns.
    /// Sources must exist and targets be distinct. See <see cref="Sandbox.MountAsync"/>.</summary>
    public IReadOnlyList<MountOptions> Mounts { get; init; } = [];

    /// <summary>
    /// <see cref="SandboxNetwork.None"/> gives the sandbox no network card at all (only loopback), whatever its
    /// profiles say, and creation does not wait for an address. Default: <see cref="SandboxNetwork.Default"/>, the profiles' network.
    /// </summary>
    public SandboxNetwork Network { get; init; } = SandboxNetwork.Default;

    /// <summary>
    /// Keep the sandbox from making setuid and setgid files (calls that would set either bit fail with EPERM; setuid
    /// programs already in the image still run). A container gets this rule whenever it is created with a
    /// <see cref="MountMode.ReadWrite"/> mount, so that no such file can land on the host; set it to be able to add a
    /// read-write mount later while the sandbox runs (the rule is loaded at start). Default: false.
    /// </summary>
    public bool DenySetuidFiles { get; init; }

    /// <summary>
    /// Create the sandbox even if its profiles make it privileged or add raw or nesting settings (see
    /// <see cref="UnsafeProfileException"/>). Default: false, so an unprivileged sandbox is checked, not assumed.
    /// </summary>
    public bool AllowUnsafeProfiles { get; init; }

    /// <summary>
    /// How its commands reach it. <see cref="ExecChannel.Daemon"/> (the default): an exec operation of the daemon per
    /// command. <see cref="ExecChannel.Auto"/>: IncusTestKit's exec agent, started in the sandbox on the first command,
    /// where the sandbox can run it (x86-64 containers), the daemon elsewhere; <see cref="ExecChannel.Agent"/>: the agent or an
    /// error. Results, timeouts, kills and output limits are the same on every channel. The choice is kept in the
    /// sandbox's config, so every handle to it (<see cref="SandboxClient.GetByNameAsync"/>, <c>dotnet isb exec</c>) uses it.
    /// </summary>
    public ExecChannel ExecChannel { get; init; } = ExecChannel.Daemon;
}
