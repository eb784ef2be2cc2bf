using System.Diagnostics;
using System.Security.Cryptography;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;
using IncusTestKit.Sharing;
using Xunit;

namespace IncusTestKit.Xunit;

/// <summary>
/// One sandbox shared by the tests of a class (<c>IClassFixture&lt;T&gt;</c>), a collection (<c>ICollectionFixture&lt;T&gt;</c>)
/// or the whole assembly (<c>[assembly: AssemblyFixture(typeof(T))]</c>). Derive from it to say what sandbox you want:
/// <code>public sealed class Busybox() : SandboxFixture(new SandboxOptions { Image = "isb/busybox" });</code>
/// </summary>
/// <remarks>
/// <para>The sandbox is created by <see cref="SharedSandboxClient"/> with auto-destroy and a name starting with
/// <c>xunit-</c> (unless <see cref="SandboxOptions.Name"/> is set), and destroyed when xUnit disposes the fixture, or
/// when the process ends (normally, Ctrl-C, SIGTERM).</para>
/// <para>When it cannot be created, nothing crashes: each test that touches <see cref="Sandbox"/> gets the cause, as a
/// <see cref="SandboxUnavailableException"/> (a skip under <see cref="SandboxFactAttribute"/>) when Incus cannot provide
/// it here, else as a <see cref="SandboxFixtureException"/> (a failure).</para>
/// <para>When <c>ISB_SANDBOX</c> names a sandbox (MSBuild's <c>SandboxUp</c> sets it), that existing sandbox is used
/// instead of creating one, and it is never destroyed; the options are then not applied. It is looked up on the incus
/// remote <c>ISB_SANDBOX_REMOTE</c> names when set (<c>SandboxUp</c> sets it to its <c>SandboxRemote</c>), else where the
/// fixtures create their sandboxes.</para>
/// <para>Override <see cref="Reuse"/> to share the sandbox with every test process that asks for the same configuration
/// (see <see cref="SandboxClient.AcquireSharedAsync"/>): test assemblies run at once then get one sandbox between them,
/// destroyed when the last one is done. That trades isolation for speed: the processes see each other's changes in it.</para>
/// <para>Creation and destruction are reported as diagnostic messages (turn on <c>"diagnosticMessages": true</c> in
/// <c>xunit.runner.json</c> to see them).</para>
/// </remarks>
#pragma warning disable CA1816 // xUnit owns the fixture's life; DisposeAsync is not a finalizer pattern
public class SandboxFixture : IAsyncLifetime
{
    /// <summary>The variable naming an existing sandbox for every fixture to use instead of creating their own.</summary>
    public const string ExistingSandboxVariable = "ISB_SANDBOX";

    /// <summary>The variable naming the remote of the incus client config the <see cref="ExistingSandboxVariable"/>
    /// sandbox is on; unset or empty: the one the fixtures create their sandboxes on (<c>INCUS_REMOTE</c>, else local).</summary>
    public const string ExistingSandboxRemoteVariable = "ISB_SANDBOX_REMOTE";

    private Sandbox? _sandbox;
    private SharedSandboxLease? _lease;
    private Exception? _failure;

    /// <summary>A fixture with the default sandbox (the client's default image, default limits).</summary>
    public SandboxFixture()
        : this(new SandboxOptions())
    {
    }

    /// <summary>A fixture creating a sandbox with these options (image, type, limits, mounts, labels, network...).</summary>
    /// <param name="options">What to create.</param>
    protected SandboxFixture(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The options the sandbox is created with.</summary>
    public SandboxOptions Options { get; }

    /// <summary>The client every fixture shares.</summary>
    public static SandboxClient Client => SharedSandboxClient.Instance;

    /// <summary>Whether the sandbox is an existing one named by <c>ISB_SANDBOX</c> (never destroyed by the fixture).</summary>
    public bool IsExisting { get; private set; }

    /// <summary>Whether the sandbox is shared with other test processes (see <see cref="Reuse"/>): destroying what is in it,
    /// or the sandbox itself, affects them too.</summary>
    public bool IsReused => _lease is not null;

    /// <summary>
    /// When not null, the sandbox is shared: every fixture of this configuration, in this test process or any other on the
    /// same daemon and project, gets the same one (keyed by a hash of <see cref="Options"/> after <see cref="ConfigureAsync"/>),
    /// and it is destroyed when the last of them is disposed, or its process ends or is killed. A
    /// <see cref="SandboxOptions.Name"/> cannot be set then (the name comes from the hash). Default: null (a sandbox of its own).
    /// </summary>
    /// <example><code>protected override SharedSandboxOptions? Reuse =&gt; new() { TimeToLive = TimeSpan.FromMinutes(30) };</code></example>
    protected virtual SharedSandboxOptions? Reuse => null;

    /// <summary>The fixture's sandbox.</summary>
    /// <exception cref="SandboxUnavailableException">Incus could not provide it here (a skip under <see cref="SandboxFactAttribute"/>).</exception>
    /// <exception cref="SandboxFixtureException">It failed to start for another reason, named in the message.</exception>
    /// <exception cref="InvalidOperationException">Used before xUnit initialized the fixture.</exception>
    public Sandbox Sandbox => _sandbox
        ?? throw (_failure is null
            ? new InvalidOperationException($"{GetType().Name} has not started yet: xUnit starts it (InitializeAsync) before the tests that use it.")
            : SandboxFailures.Wrap(_failure, GetType().Name));

    /// <summary>Runs a shell command line in the sandbox with its output in the running test's output and the test's
    /// cancellation token (see <see cref="SharedSandboxClient"/>).</summary>
    /// <param name="command">The command line (<c>sh -c</c>).</param>
    /// <param name="options">How to run it.</param>
    /// <param name="cancellationToken">Cancels the command; default: the running test's token.</param>
    /// <exception cref="SandboxUnavailableException">There is no sandbox: Incus could not provide it here.</exception>
    /// <exception cref="SandboxFixtureException">There is no sandbox: it failed to start.</exception>
    public Task<ExecResult> RunCommandAsync(string command, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        Sandbox.RunCommandAsync(command, options, cancellationToken);

    /// <summary>Runs a program with its arguments (no shell) in the sandbox, with its output in the running test's output.</summary>
    /// <param name="argv">The program and its arguments.</param>
    /// <param name="options">How to run it.</param>
    /// <param name="cancellationToken">Cancels the command; default: the running test's token.</param>
    /// <exception cref="SandboxUnavailableException">There is no sandbox: Incus could not provide it here.</exception>
    /// <exception cref="SandboxFixtureException">There is no sandbox: it failed to start.</exception>
    public Task<ExecResult> RunCommandAsync(IReadOnlyList<string> argv, CommandOptions? options = null, CancellationToken cancellationToken = default) =>
        Sandbox.RunCommandAsync(argv, options, cancellationToken);

    /// <summary>
    /// Creates (or finds) the sandbox. Never throws: a failure is kept and given to each test that uses the sandbox.
    /// </summary>
    public async ValueTask InitializeAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var fixture = GetType().Name;
        try
        {
            if (Environment.GetEnvironmentVariable(ExistingSandboxVariable) is { Length: > 0 } existing)
            {
                // Only the lookup goes to that remote: the test process's other clients stay where the user pointed them.
                var remote = Environment.GetEnvironmentVariable(ExistingSandboxRemoteVariable) is { Length: > 0 } named ? named : null;
                var client = remote is null ? Client : SharedSandboxClient.OfRemote(remote);
                _sandbox = await client.GetByNameAsync(existing, TestContext.Current.CancellationToken).ConfigureAwait(false);
                IsExisting = true;
                TestLog.Diagnostic($"{fixture}: using the existing sandbox '{existing}' on {client.Endpoint} named by {ExistingSandboxVariable}; it is not destroyed at the end.");
                return;
            }
            var options = await ConfigureAsync(Options).ConfigureAwait(false);
            if (Reuse is { } reuse)
            {
                if (options.Name is not null)
                    throw new ArgumentException($"{fixture} is reused: its sandbox is named from its configuration, so SandboxOptions.Name must not be set (set the Reuse options' NamePrefix instead).");
                _lease = await Client.AcquireSharedAsync(options, reuse, TestContext.Current.CancellationToken).ConfigureAwait(false);
                _sandbox = _lease.Sandbox;
                TestLog.Diagnostic($"{fixture}: {(_lease.Created ? "created" : "joined")} shared sandbox '{_sandbox.Name}' in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
                return;
            }
            options = options with { Name = options.Name ?? NewName(NamePrefix) };
            TestLog.Diagnostic($"{fixture}: creating sandbox '{options.Name}' from {options.Image ?? Client.DefaultImage}");
            _sandbox = await Client.CreateAsync(options, TestContext.Current.CancellationToken).ConfigureAwait(false);
            TestLog.Diagnostic($"{fixture}: sandbox '{_sandbox.Name}' ready in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        }
        catch (Exception e)
        {
            // Given to each test that uses the sandbox: a run with one broken fixture reports why, test by test.
            _failure = e;
            TestLog.Diagnostic($"{fixture}: no sandbox ({e.GetType().Name}): {e.Message}");
        }
    }

    /// <summary>What the sandbox's name starts with, before a hyphen and a random suffix, when
    /// <see cref="SandboxOptions.Name"/> is not set. Default: <c>xunit</c>.</summary>
    protected virtual string NamePrefix => "xunit";

    /// <summary>Makes the options the sandbox is created with from <see cref="Options"/>; runs once, inside the failure
    /// handling (a throw here reaches each test). Override to add what must be computed first.</summary>
    /// <param name="options">The fixture's options.</param>
    protected virtual ValueTask<SandboxOptions> ConfigureAsync(SandboxOptions options) => ValueTask.FromResult(options);

    /// <summary>Destroys the sandbox when the fixture created it (within 30 s); an existing one is left as it was, and a
    /// reused one is released (destroyed only when no other process holds it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_sandbox is null || IsExisting)
            return;
        if (_lease is not null)
        {
            await _lease.DisposeAsync().ConfigureAwait(false);
            TestLog.Diagnostic($"{GetType().Name}: shared sandbox '{_sandbox.Name}' released");
            return;
        }
        var name = _sandbox.Name;
        await _sandbox.DisposeAsync().ConfigureAwait(false);
        TestLog.Diagnostic($"{GetType().Name}: sandbox '{name}' destroyed");
    }

    internal static string NewName(string prefix) => $"{prefix}-{RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 10)}";
}
