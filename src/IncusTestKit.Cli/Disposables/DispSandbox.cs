using IncusTestKit.Errors;
using IncusTestKit.Pooling;
using IncusTestKit.Sandboxes;
using Microsoft.Extensions.Logging;

namespace IncusTestKit.Cli.Disposables;

/// <summary>Creating a disposable sandbox under a free <c>disp-</c> name, and deleting it within a time bound.</summary>
internal static partial class DispSandbox
{
    /// <summary>Creates the sandbox under a name from <see cref="DispNames.For"/>, drawing another while one is taken.</summary>
    /// <param name="client">The daemon.</param>
    /// <param name="options">What to create; the name is chosen here.</param>
    /// <param name="startedAt">The time in the name.</param>
    /// <param name="trying">Told each name before it is tried (a readiness timeout names what it kept).</param>
    /// <param name="logger">Told when a name was taken and another is drawn.</param>
    /// <param name="cancellationToken">Cancels the creation; the SDK deletes a half-made sandbox.</param>
    /// <exception cref="NameConflictException">Every name tried was taken.</exception>
    /// <exception cref="IncusTestKitException">The creation failed for another reason.</exception>
    public static async Task<Sandbox> CreateAsync(SandboxClient client, SandboxOptions options, DateTime startedAt, Action<string> trying,
        ILogger logger, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var name = DispNames.For(startedAt);
            trying(name);
            try
            {
                return await client.CreateAsync(options with { Name = name }, cancellationToken);
            }
            catch (NameConflictException) when (attempt < DispNames.Attempts)
            {
                // Another disposable sandbox drew the same name in the same second: draw again.
                NameTaken(logger, name, attempt + 1);
            }
        }
    }

    /// <summary>
    /// The shared pool of disposable sandboxes of this configuration. A short-lived tool cannot keep members alive as
    /// their owner, so they outlive it (kept, ephemeral: stopping one deletes it) for the next run to claim; the one
    /// handed out is this run's, deleted at its end like any other. Members are named <c>disp-pool-*</c>.
    /// </summary>
    public static SandboxPool Pool(SandboxClient client, SandboxOptions options, int size) =>
        new(client, options with { AutoDestroy = true }, new SandboxPoolOptions { Size = size, KeepMembers = true, NamePrefix = DispNames.Prefix + "pool" });

    /// <summary>
    /// Deletes the sandbox (stopping an ephemeral one is enough; the daemon deletes it), giving up after
    /// <paramref name="bound"/>. Never throws: returns why it could not, or null when the sandbox is gone.
    /// </summary>
    public static async Task<string?> DestroyAsync(Sandbox sandbox, TimeSpan bound)
    {
        using var deadline = new CancellationTokenSource(bound);
        string? problem = null;
        while (true)
        {
            try
            {
                await sandbox.DestroyAsync(force: true, deadline.Token);
                return null;
            }
            catch (SandboxNotFoundException)
            {
                return null;
            }
            catch (OperationCanceledException)
            {
                return problem ?? $"the daemon did not delete it within {bound.TotalSeconds:0} s";
            }
            catch (IncusTestKitException e) when (e is not IncusUnavailableException)
            {
                // An ephemeral sandbox that is stopping already (a shutdown inside it, a second signal) is briefly in
                // between, and the daemon says odd things about it ("Invalid PID"): ask again until it is gone.
                problem = e.Message;
            }
            catch (IncusUnavailableException e)
            {
                return e.Message;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return problem;
            }
        }
    }

    [LoggerMessage(4000, LogLevel.Information, "The name {Sandbox} was taken by another disposable sandbox; drawing another, attempt {Attempt}")]
    private static partial void NameTaken(ILogger logger, string sandbox, int attempt);
}
