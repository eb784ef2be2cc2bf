namespace IncusTestKit.Diagnostics;

/// <summary>The outcome of one <see cref="HealthCheck"/>.</summary>
public enum CheckStatus
{
    /// <summary>Works.</summary>
    Ok,
    /// <summary>Works, with a limitation (slow storage, no VMs) sandboxes can live with.</summary>
    Warning,
    /// <summary>Broken: sandboxes cannot be created or used until it is fixed.</summary>
    Failed,
}
