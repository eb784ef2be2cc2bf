namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// Tests that measure the process's allocations run alone (after the parallel ones), so what other tests
/// allocate meanwhile does not count against them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurement
{
    public const string Name = "Allocation measurement";
}
