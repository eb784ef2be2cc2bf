namespace IncusTestKit.Client.Models;

/// <summary>Body of <c>POST /1.0/instances/{name}/console</c>: the text console, at this size.</summary>
internal sealed record ConsolePost
{
    public string Type { get; init; } = "console";
    public int Width { get; init; }
    public int Height { get; init; }
}
