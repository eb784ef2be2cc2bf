using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>A temporary Incus profile named <c>isbt-…</c>, made with the incus CLI and deleted when disposed.</summary>
public sealed class TempProfile : IAsyncDisposable
{
    private TempProfile(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates the profile with the given config keys (and devices, as <c>name:key=value,key=value</c>).</summary>
    public static async Task<TempProfile> CreateAsync(string purpose, IReadOnlyDictionary<string, string> config, params string[] devices)
    {
        var profile = new TempProfile(TestNames.New(purpose));
        await IncusAsync("profile", "create", profile.Name);
        try
        {
            foreach (var (key, value) in config)
                await IncusAsync("profile", "set", profile.Name, $"{key}={value}");
            foreach (var device in devices)
            {
                var (deviceName, settings) = (device[..device.IndexOf(':')], device[(device.IndexOf(':') + 1)..].Split(','));
                var type = settings.Single(s => s.StartsWith("type=", StringComparison.Ordinal))["type=".Length..];
                await IncusAsync(["profile", "device", "add", profile.Name, deviceName, type, .. settings.Where(s => !s.StartsWith("type=", StringComparison.Ordinal))]);
            }
        }
        catch
        {
            await profile.DisposeAsync();
            throw;
        }
        return profile;
    }

    public async ValueTask DisposeAsync() =>
        await CliWrap.Cli.Wrap("incus").WithArguments(["profile", "delete", Name]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();

    private static async Task IncusAsync(params string[] arguments)
    {
        var result = await CliWrap.Cli.Wrap("incus").WithArguments(arguments).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"incus {string.Join(' ', arguments)} failed: {result.StandardError}");
    }
}
