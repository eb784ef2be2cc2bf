using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Xunit.Tests;

public sealed class RepositorySpecs
{
    [Fact]
    public async Task Tests_edit_build_and_delete_in_the_workspace_and_the_host_checkout_stays_byte_for_byte_the_same()
    {
        await IncusDaemon.RequireAsync();
        using var repository = new HostFolder();
        Directory.CreateDirectory(repository[".git"]);
        repository.Write(".git/HEAD", "ref: refs/heads/main\n");
        repository.Write("README.md", "# probe\n");
        repository.Write("src/app.c", "int main(void) { return 0; }\n");
        repository.OpenToAll();
        var before = repository.Fingerprint();

        var run = await ProbeRun.StartAsync(["RepositoryTests"], new Dictionary<string, string?> { ["ISB_REPOSITORY"] = repository.Path });

        run["RepositoryTests.Edits_builds_and_deletes"].Result.ShouldBe("Pass", run["RepositoryTests.Edits_builds_and_deletes"].Failure);
        run["RepositoryTests.Lists_the_workspace"].Output.ShouldContain("README.md");
        run["RepositoryTests.Resets_the_workspace"].Result.ShouldBe("Pass", run["RepositoryTests.Resets_the_workspace"].Failure);
        repository.Fingerprint().ShouldBe(before);
    }

    [Fact]
    public async Task Without_ISB_REPOSITORY_the_repository_is_found_above_the_test_assembly()
    {
        await IncusDaemon.RequireAsync();

        var run = await ProbeRun.StartAsync(["RepositoryTests"]);

        var test = run["RepositoryTests.Lists_the_workspace"];
        test.Result.ShouldBe("Pass", test.Failure);
        test.Output.ShouldContain("] IncusTestKit.sln");
        test.Output.ShouldContain("] .git");
    }
}
