using System.Collections.Concurrent;
using System.Globalization;

namespace IncusTestKit.Xunit.Probe;

// Two classes, each with a class fixture of its own: xUnit makes each class a collection and runs collections at once.

public sealed class ParallelFirst(Busybox fixture) : IClassFixture<Busybox>
{
    [SandboxFact]
    public Task Is_alone_in_its_sandbox() => ParallelClasses.MarkAndLookAsync(fixture, nameof(ParallelFirst));
}

public sealed class ParallelSecond(Busybox fixture) : IClassFixture<Busybox>
{
    [SandboxFact]
    public Task Is_alone_in_its_sandbox() => ParallelClasses.MarkAndLookAsync(fixture, nameof(ParallelSecond));
}

internal static class ParallelClasses
{
    private static readonly string[] Classes = [nameof(ParallelFirst), nameof(ParallelSecond)];

    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Marked = new(StringComparer.Ordinal);

    /// <summary>
    /// Writes this class's marker in its sandbox, waits until every class has written its own (so the look below comes
    /// after the others' writes; run one after the other, the first gives up), then checks that its sandbox holds only its
    /// own marker, and prints its sandbox and its time window.
    /// </summary>
    public static async Task MarkAndLookAsync(SandboxFixture fixture, string me)
    {
        var start = DateTimeOffset.UtcNow;
        (await fixture.RunCommandAsync($"touch /root/isbt-parallel-{me} && echo sandbox=$(hostname)")).EnsureSuccess();
        MarkedBy(me).TrySetResult();
        try
        {
            await Task.WhenAll(Classes.Select(c => MarkedBy(c).Task)).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{me} waited 60 s for the other classes to mark their sandboxes: the classes did not run at the same time.");
        }
        var markers = (await fixture.RunCommandAsync("ls /root | grep isbt-parallel-")).EnsureSuccess().Stdout;
        Assert.Equal($"isbt-parallel-{me}\n", markers);
        var end = DateTimeOffset.UtcNow;
        TestContext.Current.TestOutputHelper!.WriteLine(string.Create(CultureInfo.InvariantCulture, $"window={start.ToUnixTimeMilliseconds()}-{end.ToUnixTimeMilliseconds()}"));
    }

    private static TaskCompletionSource MarkedBy(string name) => Marked.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
