using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>Deletes what a test made through the tool, through the SDK, whatever the tool did: nothing is left behind.</summary>
public static class Leftovers
{
    public static async Task DestroyAsync(params string[] names)
    {
        await using var client = new SandboxClient();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var name in names)
        {
            try
            {
                await client.DestroyAsync(name, force: true, bound.Token);
            }
            catch (SandboxNotFoundException)
            {
                // Already gone, as the test meant.
            }
            catch (IncusUnavailableException)
            {
                // No daemon: nothing was created either.
            }
        }
    }
}
