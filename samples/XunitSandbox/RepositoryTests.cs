using System.Security.Cryptography;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Xunit;
using Xunit;

namespace XunitSandbox;

/// <summary>
/// This sample's own folder, a small repository (a Python module, its unit tests and check.sh, its build), overlay-mounted
/// at /workspace of one isb/debian12 sandbox that the class's tests share.
/// </summary>
/// <remarks>
/// In a repository of your own, <c>new RepositorySandbox()</c> finds the root by itself (the folder with <c>.git</c>). This
/// sample lives inside the IncusTestKit repository, so it names its own folder as the root instead.
/// </remarks>
public sealed class Repository() : RepositorySandbox(new SandboxOptions { Image = "isb/debian12" }, SampleRoot)
{
    /// <summary>The folder at or above the test assembly that holds check.sh.</summary>
    public static readonly string SampleRoot = FindRoot(AppContext.BaseDirectory);

    // This repository's own tests and samples name what they make isbt-*; a project of yours needs no override.
    protected override string NamePrefix => "isbt-sample";

    private static string FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "check.sh")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No folder at or above '{start}' holds check.sh.");
    }
}

/// <summary>
/// The sample repository's build and tests run in the sandbox, on its own code. Without a reachable Incus daemon (or the
/// image) these tests are skipped with the reason; with ISB_REQUIRE_INCUS=1 they fail instead. The sandbox goes when the
/// run ends, even after kill -9.
/// </summary>
public sealed class RepositoryTests(Repository repo) : IClassFixture<Repository>
{
    private static readonly CommandOptions InWorkspace = new() { WorkingDirectory = RepositorySandbox.WorkspacePath };

    [SandboxFact]
    public async Task The_build_and_the_unit_tests_pass_in_the_sandbox()
    {
        var result = await repo.RunCommandAsync("sh check.sh", InWorkspace);

        result.EnsureSuccess();
        Assert.Contains("Ran 2 tests", result.Stderr, StringComparison.Ordinal);
    }

    [SandboxFact]
    public async Task What_the_build_writes_or_deletes_in_the_workspace_leaves_the_host_folder_byte_for_byte_the_same()
    {
        var before = Fingerprint(Repository.SampleRoot);

        (await repo.RunCommandAsync("sh check.sh && rm wordcount.py && echo '# edited' >> test_wordcount.py", InWorkspace)).EnsureSuccess();

        Assert.Equal(before, Fingerprint(Repository.SampleRoot));
        Assert.False(Directory.Exists(Path.Combine(Repository.SampleRoot, "__pycache__")));
        // A fresh upper layer: the next test sees the repository as it is on the host again.
        await repo.ResetWorkspaceAsync();
        (await repo.RunCommandAsync("test -f wordcount.py && test ! -e __pycache__", InWorkspace)).EnsureSuccess();
    }

    /// <summary>Every file of the sample's sources (not the host build's bin and obj) with a hash of its bytes.</summary>
    private static List<string> Fingerprint(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path))
            .Where(path => !path.StartsWith("bin/", StringComparison.Ordinal) && !path.StartsWith("obj/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => $"{path} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, path))))}")];
}
