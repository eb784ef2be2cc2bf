namespace IncusTestKit.Sharing;

/// <summary>
/// How a shared sandbox is marked in its instance config, so every process sees the same one: which configuration it was
/// made from (<see cref="Key"/>), where it is in its life (<see cref="State"/>), until when it takes new users
/// (<see cref="Expires"/>), and who holds it: one <see cref="LeasePrefix"/> key per lease, whose value is the holder's
/// <see cref="Sandboxes.OwnerProcess"/> label, so a lease of a dead process is known to be released.
/// </summary>
internal static class SharedLabels
{
    /// <summary>The configuration's hash (the pool's, <see cref="Pooling.PoolKey"/>).</summary>
    public const string Key = "user.isb.shared";

    /// <summary><see cref="Starting"/>, <see cref="Ready"/> or <see cref="Retiring"/>.</summary>
    public const string State = "user.isb.shared-state";

    /// <summary>When it stops taking new users, in Unix seconds.</summary>
    public const string Expires = "user.isb.shared-expires";

    /// <summary>Its IPv4 address when it became ready, so a join needs no state read.</summary>
    public const string Address = "user.isb.shared-address";

    /// <summary>One key per lease, followed by the lease's random id; the value is the holder process.</summary>
    public const string LeasePrefix = "user.isb.lease.";

    /// <summary>The value of a lease whose holder cannot be described (no <c>/proc</c>): it counts until the time-to-live ends.</summary>
    public const string UnknownHolder = "unknown";

    /// <summary>Being created by its first user: others wait for it.</summary>
    public const string Starting = "starting";

    /// <summary>Running, set up: a process may join it while it is not expired.</summary>
    public const string Ready = "ready";

    /// <summary>Its last lease is gone and it is being destroyed: nobody may join it.</summary>
    public const string Retiring = "retiring";
}
