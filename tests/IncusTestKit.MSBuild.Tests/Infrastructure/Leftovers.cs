using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests.Infrastructure;

/// <summary>Asks the daemon whether sandboxes a build made are still there.</summary>
public static class Leftovers
{
    /// <summary>Fails unless none of <paramref name="names"/> exists any more.</summary>
    public static async Task ShouldBeGoneAsync(IReadOnlyList<string> names)
    {
        names.ShouldNotBeEmpty("the build should have said which sandbox it created");
        await using var client = new SandboxClient();
        var remaining = await RemainingAsync(client, names);
        remaining.ShouldBeEmpty("the build ended, so the sandboxes it created should be gone");
    }

    private static async Task<IReadOnlyList<string>> RemainingAsync(SandboxClient client, IReadOnlyList<string> names)
    {
        var all = await client.ListAsync(prefix: GeneratedRepository.SandboxPrefix, cancellationToken: TestContext.Current.CancellationToken);
        var left = all.Select(s => s.Name).Intersect(names).ToList();
        // Clean up after a failing run, so one failure does not leave sandboxes for the next.
        foreach (var name in left)
            await client.DestroyAsync(name, cancellationToken: TestContext.Current.CancellationToken);
        return left;
    }
}
