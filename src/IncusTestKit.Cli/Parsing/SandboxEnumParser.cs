using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Parsing;

/// <summary>The words <c>--type</c> and <c>--state</c> accept.</summary>
internal static class SandboxEnumParser
{
    /// <summary><c>container</c> (<c>ct</c>), or <c>vm</c> (<c>virtual-machine</c>).</summary>
    /// <exception cref="FormatException">Another word.</exception>
    public static SandboxType ParseType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "container" or "ct" => SandboxType.Container,
        "vm" or "virtual-machine" => SandboxType.VirtualMachine,
        _ => throw new FormatException($"--type '{text}' is not an instance type: use container or vm."),
    };

    /// <summary><c>running</c>, <c>stopped</c>, <c>frozen</c> or <c>error</c>.</summary>
    /// <exception cref="FormatException">Another word.</exception>
    public static SandboxState ParseState(string text) => text.Trim().ToLowerInvariant() switch
    {
        "running" => SandboxState.Running,
        "stopped" => SandboxState.Stopped,
        "frozen" => SandboxState.Frozen,
        "error" => SandboxState.Error,
        _ => throw new FormatException($"--state '{text}' is not a state: use running, stopped, frozen or error."),
    };
}
