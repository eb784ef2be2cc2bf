using System.Diagnostics;
using System.Globalization;

namespace IncusTestKit.Pooling;

/// <summary>
/// How a pool member is marked in its instance config, so every process sees the same pool: which configuration it was
/// made from (<see cref="Key"/>), where it is in its life (<see cref="State"/>), who owns it and which claim won it.
/// </summary>
internal static class PoolLabels
{
    /// <summary>The pool key: a hash of the configuration (see <see cref="PoolKey"/>). Members of other keys are never touched.</summary>
    public const string Key = "user.isb.pool";

    /// <summary><see cref="Starting"/>, <see cref="Ready"/> or <see cref="Claimed"/>.</summary>
    public const string State = "user.isb.pool-state";

    /// <summary>The token of the claim that won the member: what lets a claimer whose answer was lost find out whether it won.</summary>
    public const string Claim = "user.isb.pool-claim";

    /// <summary>The IPv4 address the member had when it became ready, so a claim needs no state read.</summary>
    public const string Address = "user.isb.pool-address";

    /// <summary>The process responsible for the member: its creator until it is claimed, then the claimer.</summary>
    public const string Owner = "user.isb.owner";

    /// <summary>Being created or set up: not claimable yet.</summary>
    public const string Starting = "starting";

    /// <summary>Running, set up, unclaimed: the next claim may take it.</summary>
    public const string Ready = "ready";

    /// <summary>Taken by a claim (a user's, or its creator's to destroy it): no other claim may take it.</summary>
    public const string Claimed = "claimed";

    /// <summary>
    /// This process's owner identity: the boot id, the process id and its start time, which together name one process
    /// on one host even across pid reuse and reboots.
    /// </summary>
    /// <remarks>The owner label of the coming reaper is meant to carry the same value; this is the one place to unify it with.</remarks>
    public static string OwnerIdentity { get; } = ReadOwnerIdentity();

    private static string ReadOwnerIdentity()
    {
        var boot = "unknown";
        try
        {
            boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            // No procfs (not Linux): the pid and start time still tell processes apart on this host.
        }
        catch (UnauthorizedAccessException)
        {
        }
        using var self = Process.GetCurrentProcess();
        var started = new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
        return string.Create(CultureInfo.InvariantCulture, $"{boot}/{Environment.ProcessId}/{started}");
    }
}
