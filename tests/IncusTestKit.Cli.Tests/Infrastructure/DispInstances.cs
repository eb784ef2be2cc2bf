using System.Text.RegularExpressions;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// The sandboxes <c>dotnet isb disp</c> makes. Their names are the tool's (<c>disp-YYYYMMDD-HHMMSS-xxxx</c>), not the tests',
/// so a test learns its sandbox's name from the tool's <c>isb: NAME created</c> line, and deletes only that one.
/// </summary>
public static partial class DispInstances
{
    /// <summary>Test classes that run disp share this collection: one at a time, so a before-and-after listing is exact.</summary>
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
    public static async Task<bool> GoneWithinAsync(string name, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                if (!await ExistsAsync(name))
                    return true;
            }
            catch (IncusTestKitException e) when (e is not IncusUnavailableException)
            {
                // Caught half-way through its stop, the daemon answers oddly ("Invalid PID"): it is on its way out.
            }
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The names of every <c>disp-</c> instance now.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync()
    {
        await using var client = new SandboxClient();
        var all = await client.ListAsync(prefix: "disp-", cancellationToken: TestContext.Current.CancellationToken);
        return all.Select(i => i.Name).ToList();
    }

    /// <summary>Deletes the sandbox a run named, if it named one; for a test's finally block.</summary>
    public static Task DestroyNamedInAsync(string output) =>
        TryNameIn(output) is { } name ? Leftovers.DestroyAsync(name) : Task.CompletedTask;
}
