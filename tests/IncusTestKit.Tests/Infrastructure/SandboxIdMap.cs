using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>A sandbox's id map, read with the incus CLI: which host uid its root is.</summary>
public static class SandboxIdMap
{
    /// <summary>The host uid root in the sandbox runs as (1000000 with a default id map).</summary>
    public static async Task<long> HostUidOfRootAsync(string sandbox)
    {
        var result = await CliWrap.Cli.Wrap("incus").WithArguments(["config", "get", sandbox, "volatile.idmap.current"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"incus config get {sandbox} volatile.idmap.current failed: {result.StandardError}");
        using var map = JsonDocument.Parse(result.StandardOutput);
        return map.RootElement.EnumerateArray()
            .First(e => e.GetProperty("Isuid").GetBoolean() && e.GetProperty("Nsid").GetInt64() == 0)
            .GetProperty("Hostid").GetInt64();
    }
}
