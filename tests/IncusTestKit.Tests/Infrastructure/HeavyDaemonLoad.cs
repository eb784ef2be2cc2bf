namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// Tests that load the daemon hard on purpose (ten thousand file requests, twenty exec agents pushed at once) run alone,
/// after the parallel ones: on a two-core machine another such test beside them stalls the daemon past the 30 s every
/// call allows, and fails what is not under test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyDaemonLoad
{
    public const string Name = "Heavy daemon load";
}
