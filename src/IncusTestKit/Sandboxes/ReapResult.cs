namespace IncusTestKit.Sandboxes;

/// <summary>What <see cref="SandboxClient.ReapLeftoversAsync"/> found and did.</summary>
public sealed record ReapResult
{
    /// <summary>
    /// The leftovers found, by name: each is destroyed now (by this sweep, or by another one running at the same time),
    /// unless it is in <see cref="Failed"/>. With a dry run, what would be destroyed.
    /// </summary>
    public IReadOnlyList<LeftoverSandbox> Leftovers { get; init; } = [];

    /// <summary>Leftovers that could not be destroyed, by name, with why; a later sweep tries again.</summary>
    public IReadOnlyDictionary<string, Exception> Failed { get; init; } = new Dictionary<string, Exception>(StringComparer.Ordinal);

    /// <summary>Why the sweep could not look for leftovers or did not finish in time (the daemon cannot be reached, or
    /// was too slow); null when it ran to the end.</summary>
    public Exception? Error { get; init; }
}

/// <summary>A sandbox left behind by a process that ended without destroying it (it was killed, for example).</summary>
/// <param name="Name">The sandbox.</param>
/// <param name="Reason">Why its owner is known to be gone, for example <c>its owner, process 4242, has ended</c>.</param>
public sealed record LeftoverSandbox(string Name, string Reason);
