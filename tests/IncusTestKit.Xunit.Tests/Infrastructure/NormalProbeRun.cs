namespace IncusTestKit.Xunit.Tests.Infrastructure;

/// <summary>The probe run against the real daemon, with diagnostic messages on.</summary>
public sealed class NormalProbeRun() : SharedProbeRun(
    [
        "DirectCreate", "MissingImageTests", "PerTestMissingImage", "VirtualMachineTests", "BrokenMountTests", "PerTestOutput", "ClassFixtureTests",
        "FirstInCollection", "SecondInCollection", "ParallelFirst", "ParallelSecond",
    ],
    diagnostics: true);
