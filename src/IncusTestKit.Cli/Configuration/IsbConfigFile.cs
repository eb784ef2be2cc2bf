using System.Text.Json.Serialization;

namespace IncusTestKit.Cli.Configuration;

/// <summary>The contents of <c>.isb.json</c> or <c>~/.config/isb/config.json</c>. Unknown keys are ignored.</summary>
internal sealed record IsbConfigFile
{
    /// <summary>The image <c>disp</c> uses when <c>--image</c> and <c>ISB_IMAGE</c> are not given.</summary>
    [JsonPropertyName("image")]
    public string? Image { get; init; }
}
