using System.Text.Json.Serialization;

namespace IncusTestKit.Cli.Configuration;

/// <summary>Source-generated JSON for the config file: no reflection, so the tool stays trimmable.</summary>
[JsonSourceGenerationOptions(
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(IsbConfigFile))]
internal sealed partial class IsbConfigJsonContext : JsonSerializerContext;
