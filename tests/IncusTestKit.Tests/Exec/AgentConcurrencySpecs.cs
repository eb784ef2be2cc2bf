using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Exec;

/// <summary>Many processes on one sandbox at once, each with a handle and so an exec agent of its own.</summary>
[Collection(HeavyDaemonLoad.Name)]
public sealed class AgentConcurrencySpecs
{
    private const int Handles = 20;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Twenty_clients_run_commands_in_one_sandbox_at_once_each_through_its_own_agent_and_each_agent_goes_with_its_handle()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("agents"), ExecChannel = ExecChannel.Agent }, Ct);
        var clients = Enumerable.Range(0, Handles).Select(_ => new SandboxClient()).ToList();
        try
        {
            var handles = await Task.WhenAll(clients.Select(c => c.GetByNameAsync(sandbox.Name, Ct)));

            var runs = await Task.WhenAll(handles.Select(async (handle, i) =>
            {
                var results = new List<ExecResult>();
                for (var n = 0; n < 3; n++)
                    results.Add(await handle.RunCommandAsync(["sh", "-c", "cat; echo \" $0\"", $"{i}.{n}"], new CommandOptions { Stdin = $"in {i}.{n}" }, Ct));
                return results;
            }));

            for (var i = 0; i < Handles; i++)
            {
                for (var n = 0; n < 3; n++)
                    runs[i][n].Stdout.ShouldBe($"in {i}.{n} {i}.{n}\n");
            }
            // Counted through the creating handle, whose own agent is the one more.
            (await AgentsAsync(sandbox)).ShouldBe(Handles + 1);
            foreach (var handle in handles)
                await handle.DisposeAsync();
            (await Poll.UntilAsync(async () => await AgentsAsync(sandbox) == 1, TimeSpan.FromSeconds(20)))
                .ShouldBeTrue($"{await AgentsAsync(sandbox) - 1} agents outlived their handles by 20 s");
        }
        finally
        {
            foreach (var each in clients)
                await each.DisposeAsync();
        }
    }

    // The agent deletes its binary once it runs: its processes show as a deleted /run/isb-agent-* executable.
    private static async Task<int> AgentsAsync(Sandbox sandbox)
    {
        var listing = await sandbox.RunCommandAsync(["sh", "-c", "for p in /proc/[0-9]*; do readlink $p/exe; done 2>/dev/null | grep -c /run/isb-agent-"],
            cancellationToken: Ct);
        return int.Parse(listing.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
