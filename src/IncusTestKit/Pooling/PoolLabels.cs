namespace IncusTestKit.Pooling;

/// <summary>
/// How a pool member is marked in its instance config, so every process sees the same pool: which configuration it was
/// made from (<see cref="Key"/>), where it is in its life (<see cref="State"/>) and which claim won it; who owns it is
/// the reaper's owner label (<see cref="Sandboxes.SandboxLabels.Owner"/>), so members of a killed process are swept like
/// any other leftover.
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

    /// <summary>Being created or set up: not claimable yet.</summary>
    public const string Starting = "starting";

    /// <summary>Running, set up, unclaimed: the next claim may take it.</summary>
    public const string Ready = "ready";

    /// <summary>Taken by a claim (a user's, or its creator's to destroy it): no other claim may take it.</summary>
    public const string Claimed = "claimed";
}
