namespace IncusTestKit.Client.Models;

/// <summary>Body of <c>PUT /1.0/instances/{name}/state</c>.</summary>
/// <remarks><see cref="Timeout"/> must stay nullable: the daemon reads 0 as "kill now".</remarks>
internal sealed record InstanceStatePut(string Action, int? Timeout = null, bool Force = false);
