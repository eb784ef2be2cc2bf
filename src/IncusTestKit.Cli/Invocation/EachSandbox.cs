using IncusTestKit.Cli.Output;

namespace IncusTestKit.Cli.Invocation;

/// <summary>
/// Runs one action on several sandboxes (<c>destroy a b c</c>): a few at a time, every name tried even when one
/// fails, results reported in the order given, exit code 1 when any failed.
/// </summary>
internal static class EachSandbox
{
    private const int Parallelism = 4;

    /// <summary>Runs <paramref name="action"/> for each name.</summary>
    /// <param name="names">The sandboxes, in the order to report them.</param>
    /// <param name="done">What was done, for the confirmation people see ("Destroyed").</param>
    /// <param name="action">The work for one sandbox.</param>
    /// <param name="cancellationToken">Ctrl-C.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> names, string done, Func<string, CancellationToken, Task> action,
        CancellationToken cancellationToken)
    {
        var distinct = names.Distinct(StringComparer.Ordinal).ToList();
        var outcomes = new (string Message, string? Hint)?[distinct.Count];
        using var slots = new SemaphoreSlim(Parallelism);
        await Task.WhenAll(distinct.Select(async (name, i) =>
        {
            await slots.WaitAsync(cancellationToken);
            try
            {
                await action(name, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException && ErrorReporter.Describe(e) is { } error)
            {
                outcomes[i] = error;
            }
            finally
            {
                slots.Release();
            }
        }));

        var failed = false;
        var reported = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < distinct.Count; i++)
        {
            if (outcomes[i] is not { } error)
            {
                Terminal.Say($"{done} sandbox '{distinct[i]}'.");
                continue;
            }
            failed = true;
            // A daemon that is down fails every name the same way: say it once.
            if (reported.Add(error.Message))
                ErrorReporter.Report(error.Message, error.Hint);
        }
        return failed ? ErrorReporter.ErrorExitCode : 0;
    }
}
