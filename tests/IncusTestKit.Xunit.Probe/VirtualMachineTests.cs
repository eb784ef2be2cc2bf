using IncusTestKit.Sandboxes;

namespace IncusTestKit.Xunit.Probe;

public sealed class VirtualMachineBusybox() : SandboxFixture(new SandboxOptions { Image = "isb/busybox", Type = SandboxType.VirtualMachine })
{
    protected override string NamePrefix => "isbt-xp";
}

/// <summary>A class whose fixture asks for a virtual machine: on a host without KVM it gets none.</summary>
public sealed class VirtualMachineTests(VirtualMachineBusybox fixture) : IClassFixture<VirtualMachineBusybox>
{
    [SandboxFact]
    public Task Runs() => fixture.RunCommandAsync("true");
}
