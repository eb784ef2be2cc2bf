namespace IncusTestKit.Exec;

/// <summary>How to attach to a sandbox's console (<see cref="Sandboxes.Sandbox.AttachConsoleAsync"/>).</summary>
public sealed record ConsoleOptions
{
    /// <summary>Columns of the console. Default: 80.</summary>
    public int Width { get; init; } = 80;

    /// <summary>Rows of the console. Default: 24.</summary>
    public int Height { get; init; } = 24;
}
