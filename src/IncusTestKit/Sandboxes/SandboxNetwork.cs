namespace IncusTestKit.Sandboxes;

/// <summary>Whether a sandbox gets a network.</summary>
public enum SandboxNetwork
{
    /// <summary>The network its profiles give it (with the default profile, a NIC on the Incus bridge); creation waits for an address.</summary>
    Default,

    /// <summary>No network card, only loopback: nothing inside can reach the network or be reached, and creation does not wait for DHCP.</summary>
    None,
}
