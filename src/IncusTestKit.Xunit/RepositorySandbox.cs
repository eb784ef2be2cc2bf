using IncusTestKit.Errors;
using IncusTestKit.Mounts;
using IncusTestKit.Sandboxes;
using IncusTestKit.Shared;
using Xunit;

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
/// <remarks><para>With <see cref="SandboxFixture.Reuse"/>, the repository's path is part of the configuration's hash, so
/// only fixtures of the same checkout share; they share its overlay too: what one process writes in
/// <see cref="WorkspacePath"/> the others see, and <see cref="ResetWorkspaceAsync"/> is refused.</para>
/// <para>The repository root is, in order: the one passed to the constructor, <c>ISB_REPOSITORY</c>, or the first
/// folder at or above the test assembly's folder that holds a <c>.git</c> folder or file (a worktree's).</para></remarks>
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

    /// <summary>
    /// Discards everything written in <see cref="WorkspacePath"/>: its overlay is mounted afresh, with an empty upper layer
    /// over the untouched checkout, so the next test starts from the checkout as it is on the host. Only the workspace is
    /// reset: what was written elsewhere in the sandbox stays. Call it at the start of a test that must not see what
    /// earlier tests of the class left there.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call; default: the running test's token.</param>
    /// <exception cref="InvalidOperationException">The sandbox is reused (<see cref="SandboxFixture.IsReused"/>): other test
    /// processes may be using the workspace, which a reset would take away from under them.</exception>
    /// <exception cref="MountException">The sandbox has no IncusTestKit overlay at <see cref="WorkspacePath"/>
    /// (an <c>ISB_SANDBOX</c> sandbox made without it).</exception>
    /// <exception cref="SandboxUnavailableException">There is no sandbox: Incus could not provide it here.</exception>
    /// <exception cref="SandboxFixtureException">There is no sandbox: it failed to start.</exception>
    public async Task ResetWorkspaceAsync(CancellationToken cancellationToken = default)
    {
        var sandbox = Sandbox;
        if (IsReused)
        {
            throw new InvalidOperationException(
                $"{GetType().Name} is reused: its workspace is shared with other test processes, and a reset would take it away from under their commands. " +
                "Turn Reuse off for tests that need a clean workspace.");
        }
        if (cancellationToken == default)
            cancellationToken = TestContext.Current.CancellationToken;
        var mounts = await sandbox.ListMountsAsync(cancellationToken).ConfigureAwait(false);
        var workspace = mounts.FirstOrDefault(m => m.Target == WorkspacePath && m.Mode == MountMode.Overlay)
            ?? throw new MountException($"Sandbox '{sandbox.Name}' has no IncusTestKit overlay at {WorkspacePath}, so there is nothing to reset.");
        await sandbox.UnmountAsync(WorkspacePath, cancellationToken).ConfigureAwait(false);
        await sandbox.MountAsync(new MountOptions(workspace.Source, WorkspacePath) { Mode = MountMode.Overlay }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds the repository's overlay mount.</summary>
    protected override ValueTask<SandboxOptions> ConfigureAsync(SandboxOptions options)
    {
        RepositoryRoot = _root
            ?? (Environment.GetEnvironmentVariable(RepositoryVariable) is { Length: > 0 } named ? named : null)
            ?? RepositoryFinder.Find(AppContext.BaseDirectory)
            ?? throw new PathNotFoundException(
                $"No repository found: no folder at or above '{AppContext.BaseDirectory}' has a .git. Set {RepositoryVariable} to the repository root, or pass it to the RepositorySandbox constructor.");
        var mount = new MountOptions(RepositoryRoot, WorkspacePath) { Mode = MountMode.Overlay };
        return ValueTask.FromResult(options with { Mounts = [.. options.Mounts, mount] });
    }
}
