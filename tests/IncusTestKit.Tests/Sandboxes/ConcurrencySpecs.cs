using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

public sealed class ConcurrencySpecs
{
    [Fact]
    public async Task One_client_creates_runs_in_and_destroys_twenty_sandboxes_at_once()
    {
        await IncusDaemon.RequireAsync();
        var ct = TestContext.Current.CancellationToken;
        await using var client = new SandboxClient();
        var prefix = TestNames.New("many");

        var outputs = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = $"{prefix}-{i}" }, ct);
            var result = await sandbox.RunCommandAsync(["hostname"], cancellationToken: ct);
            return result.Stdout.Trim();
        }));

        outputs.ShouldBe(Enumerable.Range(0, 20).Select(i => $"{prefix}-{i}"));
        (await client.ListAsync(prefix: prefix, cancellationToken: ct)).ShouldBeEmpty();
    }
}
