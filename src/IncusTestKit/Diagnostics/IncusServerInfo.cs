using IncusTestKit.Client.Models;

namespace IncusTestKit.Diagnostics;

/// <summary>What the Incus server is and can do.</summary>
public sealed record IncusServerInfo
{
    /// <summary>The REST API version (<c>1.0</c>).</summary>
    public required string ApiVersion { get; init; }

    /// <summary>The daemon's version (<c>6.0.4</c>).</summary>
    public required string ServerVersion { get; init; }

    /// <summary>The instance drivers (<c>lxc</c>, <c>qemu</c>, or both joined by <c> | </c>).</summary>
    public required string Driver { get; init; }

    /// <summary>The storage drivers in use.</summary>
    public required string Storage { get; init; }

    /// <summary>The API extensions the server supports.</summary>
    public required IReadOnlyList<string> ApiExtensions { get; init; }

    /// <summary>Whether virtual machines can run here (the server has the qemu driver).</summary>
    public bool SupportsVirtualMachines => Driver.Contains("qemu", StringComparison.Ordinal);

    /// <summary>Whether the kernel has idmapped mounts (needed for overlay and shifted host-folder mounts).</summary>
    public required bool SupportsIdmappedMounts { get; init; }

    internal static IncusServerInfo From(ServerInfo info) => new()
    {
        ApiVersion = info.ApiVersion,
        ServerVersion = info.Environment.ServerVersion,
        Driver = info.Environment.Driver,
        Storage = info.Environment.Storage,
        ApiExtensions = info.ApiExtensions,
        SupportsIdmappedMounts = info.Environment.KernelFeatures.GetValueOrDefault("idmapped_mounts") == "true",
    };
}
