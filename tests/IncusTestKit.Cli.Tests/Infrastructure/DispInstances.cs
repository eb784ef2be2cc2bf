using System.Text.Json;
using System.Text.RegularExpressions;
using CliWrap.Buffered;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// The sandboxes <c>dotnet isb disp</c> makes. Their names are the tool's (<c>disp-YYYYMMDD-HHMMSS-xxxx</c>), not the tests',
/// so a test learns its sandbox's name from the tool's <c>isb: NAME created</c> line, and deletes only that one.
/// </summary>
public static partial class DispInstances
{
    /// <summary>
    /// Test classes that run disp share this collection, one class at a time: many disposable sandboxes made at once slow
    /// each other down, and these tests have time bounds. Each test checks only the sandboxes it made, so other disp
    /// users on the daemon do not disturb it.
    /// </summary>
    public const string Collection = "disposable sandboxes";

    [GeneratedRegex(@"isb: (disp-\d{8}-\d{6}-[a-z0-9]{4}) created")]
    private static partial Regex CreatedLine();

    /// <summary>The sandbox named by the tool's output, or null when it printed no <c>created</c> line.</summary>
    public static string? TryNameIn(string output) => CreatedLine().Match(output) is { Success: true } match ? match.Groups[1].Value : null;

    /// <summary>The sandbox named by the tool's output; fails the test when there is none.</summary>
    public static string NameIn(string output) =>
        TryNameIn(output) ?? throw new Xunit.Sdk.XunitException($"disp printed no 'isb: disp-... created' line. It printed:\n{output}");

    /// <summary>Whether an instance with this name exists.</summary>
    public static async Task<bool> ExistsAsync(string name)
    {
        await using var client = new SandboxClient();
        try
        {
            await client.GetByNameAsync(name, TestContext.Current.CancellationToken);
            return true;
        }
        catch (SandboxNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Whether the instance is gone within <paramref name="within"/> (polled; an ephemeral one goes as it stops).</summary>
    public static Task<bool> GoneWithinAsync(string name, TimeSpan within) => Poll.UntilAsync(async () =>
    {
        try
        {
            return !await ExistsAsync(name);
        }
        catch (IncusTestKitException e) when (e is not IncusUnavailableException)
        {
            // Caught half-way through its stop, the daemon answers oddly ("Invalid PID"): it is on its way out.
            return false;
        }
    }, within);

    /// <summary>
    /// The names of the instances the tool process <paramref name="processId"/> made, whatever else runs on the daemon:
    /// the SDK labels each sandbox with the session of the process that created it (<c>user.isb.session</c>, its
    /// process id first). Read with the incus CLI, since the SDK keeps its own labels to itself.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MadeByAsync(int processId)
    {
        var json = (await CliWrap.Cli.Wrap("incus").WithArguments(["query", "/1.0/instances?recursion=1&all-projects=true"])
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken)).StandardOutput;
        using var instances = JsonDocument.Parse(json);
        return instances.RootElement.EnumerateArray()
            .Where(i => i.GetProperty("config").TryGetProperty("user.isb.session", out var session)
                        && session.GetString()?.StartsWith($"{processId}-", StringComparison.Ordinal) == true)
            .Select(i => i.GetProperty("name").GetString()!)
            .ToList();
    }

    [GeneratedRegex(@"disp-\d{8}-\d{6}-[a-z0-9]{4}")]
    private static partial Regex AnyName();

    /// <summary>
    /// Deletes every sandbox a run named, for a test's finally block: the one it created, and one it kept for
    /// inspection after a readiness timeout (named only in the error, with no <c>created</c> line).
    /// </summary>
    public static Task DestroyNamedInAsync(string output) =>
        Leftovers.DestroyAsync([.. AnyName().Matches(output).Select(m => m.Value).Distinct()]);
}
