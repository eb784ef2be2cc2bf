namespace IncusTestKit.Sandboxes;

/// <summary>The kind of Incus instance behind a sandbox.</summary>
public enum SandboxType
{
    /// <summary>A system container (LXC): starts in well under a second. The default.</summary>
    Container,
    /// <summary>A virtual machine (QEMU): needs KVM on the host.</summary>
    VirtualMachine,
}
