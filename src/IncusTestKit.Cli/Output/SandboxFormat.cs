using System.Globalization;
using System.Text.Json;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Output;

/// <summary>How sandboxes look in tables, in <c>info</c> and in JSON, so every verb shows them the same way.</summary>
internal static class SandboxFormat
{
    /// <summary><c>container</c> or <c>vm</c> for people; the words <c>--type</c> accepts.</summary>
    public static string ShortType(SandboxType type) => type == SandboxType.VirtualMachine ? "vm" : "container";

    /// <summary><c>container</c> or <c>virtual-machine</c> for machines, as Incus spells them.</summary>
    public static string JsonType(SandboxType type) => type == SandboxType.VirtualMachine ? "virtual-machine" : "container";

    /// <summary><c>running</c>, <c>stopped</c>, <c>frozen</c> or <c>error</c>.</summary>
    public static string State(SandboxState state) => state.ToString().ToLowerInvariant();

    /// <summary>Labels as <c>k=v,k2=v2</c>, sorted by key.</summary>
    public static string Labels(IReadOnlyDictionary<string, string> labels) =>
        string.Join(",", labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>How long ago, roughly: <c>45s</c>, <c>12m</c>, <c>3h</c>, <c>5d</c>.</summary>
    public static string Age(DateTimeOffset createdAt, DateTimeOffset now)
    {
        if (createdAt == default)
            return "-";
        var age = now - createdAt;
        if (age < TimeSpan.Zero)
            age = TimeSpan.Zero;
        return age.TotalSeconds < 60 ? $"{(int)age.TotalSeconds}s"
            : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }

    /// <summary>A byte count for people: <c>812 B</c>, <c>3.4 MiB</c>.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    /// <summary>A duration for people: <c>480 ms</c>, <c>2.3 s</c>.</summary>
    public static string Duration(TimeSpan duration) => duration.TotalSeconds < 1
        ? $"{(int)duration.TotalMilliseconds} ms"
        : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.#} s");

    /// <summary>Writes what a listing or <c>info</c> knows about a sandbox.</summary>
    public static void WriteInfo(Utf8JsonWriter writer, SandboxInfo info, ExecChannel? execChannelInUse = null)
    {
        writer.WriteStartObject();
        writer.WriteString("name", info.Name);
        writer.WriteString("project", info.Project);
        writer.WriteString("type", JsonType(info.Type));
        writer.WriteString("state", State(info.State));
        writer.WriteString("image", info.Image);
        writer.WriteString("ipv4", info.IPv4Address);
        writer.WriteString("location", info.Location);
        writer.WriteBoolean("ephemeral", info.Ephemeral);
        writer.WriteBoolean("managed", info.ManagedByIncusTestKit);
        if (info.CreatedAt == default)
            writer.WriteNull("createdAt");
        else
            writer.WriteString("createdAt", info.CreatedAt);
        writer.WriteMap("labels", info.Labels);
        writer.WriteNumberOrNull("processes", info.Processes);
        writer.WriteNumberOrNull("memoryUsage", info.MemoryUsage);
        writer.WriteString("execChannel", ExecChannelName(info.ExecChannel));
        if (execChannelInUse is { } inUse)
            writer.WriteString("execChannelInUse", ExecChannelName(inUse));
        writer.WriteEndObject();
    }

    /// <summary>How <c>--exec-channel</c> and the JSON name a channel.</summary>
    public static string ExecChannelName(ExecChannel channel) => channel switch
    {
        ExecChannel.Auto => "auto",
        ExecChannel.Agent => "agent",
        _ => "daemon",
    };

    /// <summary>Writes a sandbox that was just created: the fields of <see cref="WriteInfo"/> that are known without asking again.</summary>
    public static void WriteCreated(Utf8JsonWriter writer, Sandbox sandbox, TimeSpan duration)
    {
        writer.WriteStartObject();
        writer.WriteString("name", sandbox.Name);
        writer.WriteString("project", sandbox.Project);
        writer.WriteString("type", JsonType(sandbox.Type));
        writer.WriteString("state", State(SandboxState.Running));
        writer.WriteString("image", sandbox.Image);
        writer.WriteString("ipv4", sandbox.IPv4Address);
        writer.WriteBoolean("ephemeral", sandbox.Ephemeral);
        writer.WriteMap("labels", sandbox.Labels);
        writer.WriteNumber("durationMs", (long)duration.TotalMilliseconds);
        writer.WriteEndObject();
    }
}
