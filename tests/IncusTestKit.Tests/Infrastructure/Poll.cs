namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// Waits for a condition, with a deadline, instead of sleeping and hoping it came true meanwhile: as fast as the
/// condition on a quick machine, as patient as the deadline on a slow one.
/// </summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Checks <paramref name="condition"/> until it holds, and once more after <paramref name="within"/> has passed.
    /// Returns whether it held; the caller fails with what it last saw.
    /// </summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var late = DateTime.UtcNow > deadline;
            if (await condition())
                return true;
            if (late)
                return false;
            await Task.Delay(Interval, TestContext.Current.CancellationToken);
        }
    }
}
