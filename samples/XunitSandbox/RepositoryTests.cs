using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Xunit;
using Xunit;

namespace XunitSandbox;

/// <summary>This repository, overlay-mounted at /workspace of one isb/debian12 sandbox that the class's tests share.</summary>
public sealed class Repository() : RepositorySandbox(new SandboxOptions { Image = "isb/debian12" })
{
    // This repository's own tests and samples name what they make isbt-*; a project of yours needs no override.
    protected override string NamePrefix => "isbt-sample";
}

/// <summary>
/// Each test runs real commands in the sandbox. Without a reachable Incus daemon (or the image) they are skipped with
/// the reason; with ISB_REQUIRE_INCUS=1 they fail instead. The sandbox goes when the run ends, even after kill -9.
/// </summary>
public sealed class RepositoryTests(Repository repo) : IClassFixture<Repository>
{
    private static readonly CommandOptions InThisSample = new() { WorkingDirectory = $"{RepositorySandbox.WorkspacePath}/samples/XunitSandbox" };

    [SandboxFact]
    public async Task The_repository_is_at_workspace()
    {
        var result = await repo.RunCommandAsync("ls", InThisSample);

        Assert.Contains("XunitSandbox.csproj", result.EnsureSuccess().Stdout, StringComparison.Ordinal);
    }

    [SandboxFact]
    public async Task The_sample_script_runs_with_the_sandbox_tools()
    {
        var result = await repo.RunCommandAsync("python3 wordcount.py wordcount.py", InThisSample);

        Assert.StartsWith("wordcount.py: ", result.EnsureSuccess().Stdout, StringComparison.Ordinal);
    }

    [SandboxFact]
    public async Task What_a_test_writes_in_the_workspace_stays_in_the_sandbox()
    {
        (await repo.RunCommandAsync("python3 wordcount.py wordcount.py > counted.txt && cat counted.txt", InThisSample)).EnsureSuccess();

        Assert.False(File.Exists(Path.Combine(repo.RepositoryRoot!, "samples", "XunitSandbox", "counted.txt")));
    }
}
