using IncusTestKit.Client.Models;

namespace IncusTestKit.Sandboxes;

/// <summary>Reads the daemon's state numbers (not its strings, which vary).</summary>
internal static class SandboxStates
{
    public static SandboxState FromStatusCode(int code) => code switch
    {
        103 => SandboxState.Running,
        102 => SandboxState.Stopped,
        110 => SandboxState.Frozen,
        _ => SandboxState.Error,
    };

    public static string? GlobalIPv4(InstanceState? state) =>
        state?.Network?
            .Where(n => n.Key != "lo")
            .SelectMany(n => n.Value.Addresses)
            .FirstOrDefault(a => a.Family == "inet" && a.Scope == "global")?.Address;
}
