using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// The real daemon the integration tests talk to. Without it a test skips with the reason, unless
/// ISB_REQUIRE_INCUS=1 (CI), where an unreachable daemon is a failure.
/// </summary>
public static class IncusDaemon
{
    private static readonly Lazy<Task<string?>> Problem = new(FindProblemAsync);

    public static bool Required => Environment.GetEnvironmentVariable("ISB_REQUIRE_INCUS") == "1";

    /// <summary>Skips (or, when required, fails) the calling test when the daemon cannot be used.</summary>
    public static async Task RequireAsync()
    {
        if (await Problem.Value is not { } problem)
            return;
        if (Required)
            Assert.Fail($"ISB_REQUIRE_INCUS=1 but {problem}");
        Assert.Skip(problem + " Run ./build.sh bootstrap (as root) to set Incus up, or set ISB_REQUIRE_INCUS=1 to make this a failure.");
    }

    private static async Task<string?> FindProblemAsync()
    {
        try
        {
            await using var client = new SandboxClient();
            // The daemon can stall for 10-20 s on a busy VM; a stall is not an absence.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await client.GetServerInfoAsync(timeout.Token);
            return null;
        }
        catch (IncusUnavailableException e)
        {
            return $"the Incus daemon is not reachable: {e.Message}";
        }
        catch (OperationCanceledException)
        {
            return "the Incus daemon did not answer GET /1.0 within 60 s.";
        }
    }
}
