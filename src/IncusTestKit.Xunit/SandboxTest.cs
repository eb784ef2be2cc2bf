using System.Collections.Concurrent;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Pooling;
using IncusTestKit.Sandboxes;
using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>
/// A base class for tests that each get a sandbox of their own: created before each test (xUnit makes a test class
/// per test), destroyed after it.
/// <code>
/// public sealed class InstallTests() : SandboxTest(new SandboxOptions { Image = "isb/debian12" })
/// {
///     [SandboxFact]
///     public async Task Apt_is_there() =&gt; (await RunCommandAsync("apt --version")).EnsureSuccess();
/// }
/// </code>
/// </summary>
/// <remarks>
/// <para>When the sandbox cannot be created the test gets the cause: a <see cref="SandboxUnavailableException"/> (a skip
/// under <see cref="SandboxFactAttribute"/>) when Incus cannot provide it here, else a <see cref="SandboxFixtureException"/>.</para>
/// <para>With <c>ISB_KEEP_ON_FAILURE=1</c> a failed test's sandbox is kept (<see cref="Sandboxes.Sandbox.KeepAsync"/>), and
/// the test's output ends with how to get into it and destroy it; <c>dotnet isb list</c> shows them (names start with
/// <c>xunit-</c>). Until its test has failed a sandbox is an auto-destroy one like any other, so a test process killed
/// while it runs (even with SIGKILL) leaves nothing behind.</para>
/// <para>Override <see cref="Pool"/> to take each test's sandbox from a warm pool instead: a claim of a ready sandbox
/// (tens of milliseconds) instead of a create. Off by default, because the pool keeps sandboxes running that cost memory
/// and disk while they wait, and fills them in the background, competing with the tests for the daemon; it pays when a
/// class has more than a few tests, each slower than a create.</para>
/// </remarks>
#pragma warning disable CA1816 // xUnit owns the test class's life; DisposeAsync is not a finalizer pattern
public abstract class SandboxTest : IAsyncLifetime
{
    /// <summary>The variable that keeps a failed test's sandbox for inspection.</summary>
    public const string KeepOnFailureVariable = "ISB_KEEP_ON_FAILURE";

    // One pool per test class, kept for the whole run: its unclaimed members are destroyed when the process ends.
    private static readonly ConcurrentDictionary<Type, Lazy<SandboxPool>> Pools = new();

    private Sandbox? _sandbox;

    /// <summary>Each test gets a sandbox made with these options (null: the defaults). A <see cref="SandboxOptions.Name"/>
    /// is not used: each sandbox gets a fresh name (see <see cref="NamePrefix"/>).</summary>
    /// <param name="options">What to create.</param>
    protected SandboxTest(SandboxOptions? options = null)
    {
        Options = options ?? new SandboxOptions();
    }

    /// <summary>The options each test's sandbox is created with.</summary>
    protected SandboxOptions Options { get; }

    /// <summary>The client every fixture shares.</summary>
    protected static SandboxClient Client => SharedSandboxClient.Instance;

    /// <summary>This test's sandbox.</summary>
    protected Sandbox Sandbox => _sandbox ?? throw new InvalidOperationException("The sandbox is made in InitializeAsync; use it from the test body.");

    /// <summary>What each sandbox's name starts with, before a hyphen and a random suffix. Default: <c>xunit</c>.</summary>
    protected virtual string NamePrefix => "xunit";

    /// <summary>
    /// When not null, each test's sandbox is claimed from a warm pool of <see cref="Options"/> kept for this class (shared
    /// in Incus with every pool of the same configuration, in this process and others); a test that finds it empty gets a
    /// fresh sandbox, never a wait longer than a create. Member names start with <see cref="NamePrefix"/>. Default: null (no pool).
    /// </summary>
    /// <example><code>protected override SandboxPoolOptions? Pool =&gt; new() { Size = 4 };</code></example>
    protected virtual SandboxPoolOptions? Pool => null;

    private static bool KeepOnFailure => Environment.GetEnvironmentVariable(KeepOnFailureVariable) == "1";

    /// <summary>Runs a shell command line in the test's sandbox with its output in the test's output (see <see cref="SharedSandboxClient"/>).</summary>
    /// <param name="command">The command line (<c>sh -c</c>).</param>
    /// <param name="options">How to run it.</param>
    /// <param name="cancellationToken">Cancels the command; default: the test's token.</param>
    protected Task<ExecResult> RunCommandAsync(string command, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        Sandbox.RunCommandAsync(command, options, cancellationToken);

    /// <summary>Runs a program with its arguments (no shell) in the test's sandbox, with its output in the test's output.</summary>
    /// <param name="argv">The program and its arguments.</param>
    /// <param name="options">How to run it.</param>
    /// <param name="cancellationToken">Cancels the command; default: the test's token.</param>
    protected Task<ExecResult> RunCommandAsync(IReadOnlyList<string> argv, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        Sandbox.RunCommandAsync(argv, options, cancellationToken);

    /// <summary>Creates the test's sandbox.</summary>
    /// <exception cref="SandboxUnavailableException">Incus cannot provide it here.</exception>
    /// <exception cref="SandboxFixtureException">It failed to start for another reason.</exception>
    public virtual async ValueTask InitializeAsync()
    {
        var options = Options with { Name = SandboxFixture.NewName(NamePrefix), AutoDestroy = true };
        try
        {
            if (Pool is { } pool)
            {
                var shared = Pools.GetOrAdd(GetType(), _ => new Lazy<SandboxPool>(() =>
                    new SandboxPool(Client, Options with { Name = null, AutoDestroy = true }, pool with { NamePrefix = NamePrefix })));
                _sandbox = await shared.Value.AcquireAsync(TestContext.Current.CancellationToken).ConfigureAwait(false);
            }
            else
                _sandbox = await Client.CreateAsync(options, TestContext.Current.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw SandboxFailures.Wrap(e, GetType().Name);
        }
    }

    /// <summary>Destroys the test's sandbox, or keeps it when the test failed and <c>ISB_KEEP_ON_FAILURE=1</c>.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (_sandbox is not { } sandbox)
            return;
        var context = TestContext.Current;
        var failed = context.TestState?.Result == TestResult.Failed;
        if (failed && KeepOnFailure)
        {
            // Kept only now that the test has failed: until here a kill of the process left nothing behind.
            if (await TryKeepAsync(sandbox).ConfigureAwait(false))
            {
                TestLog.Write($"Sandbox '{sandbox.Name}' is kept ({KeepOnFailureVariable}=1). Get into it: incus exec {sandbox.Name} -- sh; " +
                    $"run a command: dotnet isb exec {sandbox.Name} -- <command>; destroy it: dotnet isb destroy {sandbox.Name}");
                return;
            }
        }
        await sandbox.DisposeAsync().ConfigureAwait(false);
        if (failed && !KeepOnFailure)
            TestLog.Write($"Sandbox '{sandbox.Name}' was destroyed; set {KeepOnFailureVariable}=1 to keep a failed test's sandbox for inspection.");
    }

    private static async Task<bool> TryKeepAsync(Sandbox sandbox)
    {
        try
        {
            await sandbox.KeepAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (IncusTestKitException e)
        {
            // The test's own failure is what matters: this one is told, and the sandbox goes as if it were not to be kept.
            TestLog.Write($"Sandbox '{sandbox.Name}' could not be kept ({KeepOnFailureVariable}=1): {e.Message}");
            return false;
        }
    }
}
