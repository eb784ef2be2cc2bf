using System.Text.Json;
using System.Text.Json.Serialization;
using IncusTestKit.Client.Models;

namespace IncusTestKit.Client;

/// <summary>Source-generated (reflection-free, trimming-safe) JSON for every shape the client exchanges.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(InstancesPost))]
[JsonSerializable(typeof(InstanceStatePut))]
[JsonSerializable(typeof(Instance))]
[JsonSerializable(typeof(List<Instance>))]
[JsonSerializable(typeof(InstanceState))]
[JsonSerializable(typeof(Operation))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(Image))]
[JsonSerializable(typeof(ImageAlias))]
[JsonSerializable(typeof(List<ImageAlias>))]
[JsonSerializable(typeof(Profile))]
[JsonSerializable(typeof(List<Profile>))]
[JsonSerializable(typeof(ExecPost))]
[JsonSerializable(typeof(InstancePut))]
[JsonSerializable(typeof(InstancePatch))]
[JsonSerializable(typeof(InstanceSnapshot))]
[JsonSerializable(typeof(List<InstanceSnapshot>))]
[JsonSerializable(typeof(InstanceSnapshotsPost))]
[JsonSerializable(typeof(InstanceRestorePut))]
[JsonSerializable(typeof(MountLabel))]
[JsonSerializable(typeof(ConsolePost))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class IncusJsonContext : JsonSerializerContext;
