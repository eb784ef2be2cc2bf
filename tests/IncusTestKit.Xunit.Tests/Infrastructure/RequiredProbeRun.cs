namespace IncusTestKit.Xunit.Tests.Infrastructure;

/// <summary>
/// The probe run against the live daemon with <c>ISB_REQUIRE_INCUS=1</c>, of the classes that cannot get a sandbox here
/// (none is created, so it is quick).
/// </summary>
public sealed class RequiredProbeRun() : SharedProbeRun(
    ["MissingImageTests", "PerTestMissingImage", "VirtualMachineTests"], new Dictionary<string, string?> { ["ISB_REQUIRE_INCUS"] = "1" });
