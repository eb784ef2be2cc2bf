using IncusTestKit.Sandboxes;

namespace IncusTestKit.Configuration;

/// <summary>
/// How a <see cref="SandboxClient"/> reaches Incus. Every property is optional: a value set here wins over
/// the environment (<c>INCUS_SOCKET</c>, <c>INCUS_REMOTE</c>, <c>INCUS_PROJECT</c>, <c>ISB_IMAGE</c>),
/// which wins over the defaults.
/// </summary>
public sealed record SandboxClientOptions
{
    /// <summary>The daemon's Unix socket. Default: <c>INCUS_SOCKET</c>, else <c>$INCUS_DIR/unix.socket</c>,
    /// else <c>/run/incus/unix.socket</c> when it exists, else <c>/var/lib/incus/unix.socket</c>.</summary>
    public string? SocketPath { get; init; }

    /// <summary>The Incus client remote to use (from <c>~/.config/incus/config.yml</c>). Default: <c>INCUS_REMOTE</c>,
    /// else <c>local</c>. Only remotes reached over a Unix socket are supported in this version.</summary>
    public string? Remote { get; init; }

    /// <summary>The Incus project every sandbox lives in. Default: <c>INCUS_PROJECT</c>, else <c>default</c>.</summary>
    public string? Project { get; init; }

    /// <summary>The image used when <see cref="SandboxOptions.Image"/> is not set. Default: <c>ISB_IMAGE</c>,
    /// else <c>isb/debian12</c> (built by this repository's bootstrap).</summary>
    public string? DefaultImage { get; init; }

    /// <summary>The instance type used when <see cref="SandboxOptions.Type"/> is not set. Default: container.</summary>
    public SandboxType? DefaultType { get; init; }
}
