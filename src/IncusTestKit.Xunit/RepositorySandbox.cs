using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Xunit;

/// <summary>
/// A <see cref="SandboxFixture"/> with your repository at <see cref="WorkspacePath"/>, overlay-mounted: tests may edit,
/// build and delete anything there, and the checkout on the host stays byte for byte the same (the changes live in the
/// sandbox and go with it).
/// <code>
/// public class BuildTests(RepositorySandbox repo) : IClassFixture&lt;RepositorySandbox&gt;
/// {
///     [SandboxFact]
///     public async Task Make_test_passes() =&gt;
///         (await repo.RunCommandAsync("make test", new() { WorkingDirectory = RepositorySandbox.WorkspacePath })).EnsureSuccess();
/// }
/// </code>
/// </summary>
/// <remarks>The repository root is, in order: the one passed to the constructor, <c>ISB_REPOSITORY</c>, or the first
/// folder at or above the test assembly's folder that holds a <c>.git</c> folder or file (a worktree's).</remarks>
public class RepositorySandbox : SandboxFixture
{
    /// <summary>Where the repository appears in the sandbox: <c>/workspace</c>.</summary>
    public const string WorkspacePath = "/workspace";

    /// <summary>The variable that names the repository root, instead of looking for <c>.git</c>.</summary>
    public const string RepositoryVariable = "ISB_REPOSITORY";

    private readonly string? _root;

    /// <summary>The repository found from the test assembly's folder, in a default sandbox.</summary>
    public RepositorySandbox()
        : this(new SandboxOptions())
    {
    }

    /// <summary>The repository in a sandbox made with these options.</summary>
    /// <param name="options">What to create; the repository's mount is added to <see cref="SandboxOptions.Mounts"/>.</param>
    /// <param name="repositoryRoot">The repository root; null to take <c>ISB_REPOSITORY</c> or look for <c>.git</c>.</param>
    protected RepositorySandbox(SandboxOptions options, string? repositoryRoot = null)
        : base(options)
    {
        _root = repositoryRoot;
    }

    /// <summary>The host folder mounted at <see cref="WorkspacePath"/>; null until the fixture has started.</summary>
    public string? RepositoryRoot { get; private set; }

    /// <summary>Adds the repository's overlay mount.</summary>
    protected override ValueTask<SandboxOptions> ConfigureAsync(SandboxOptions options)
    {
        RepositoryRoot = _root
            ?? (Environment.GetEnvironmentVariable(RepositoryVariable) is { Length: > 0 } named ? named : null)
            ?? RepositoryFinder.Find(AppContext.BaseDirectory);
        var mount = new MountOptions(RepositoryRoot, WorkspacePath) { Mode = MountMode.Overlay };
        return ValueTask.FromResult(options with { Mounts = [.. options.Mounts, mount] });
    }
}
