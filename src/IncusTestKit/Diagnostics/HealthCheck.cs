namespace IncusTestKit.Diagnostics;

/// <summary>One check of the machine's readiness for sandboxes, with the fix when something is wrong.</summary>
/// <param name="Name">What was checked ("socket", "storage pool").</param>
/// <param name="Status">Ok, a warning, or a failure.</param>
/// <param name="Detail">What was found.</param>
/// <param name="Fix">What to do about a warning or failure; null when all is well.</param>
public sealed record HealthCheck(string Name, CheckStatus Status, string Detail, string? Fix = null);
