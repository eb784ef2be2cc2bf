using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Disposables;

/// <summary>Creating a disposable sandbox under a free <c>disp-</c> name, and deleting it within a time bound.</summary>
internal static class DispSandbox
{
    /// <summary>Creates the sandbox as <see cref="DispNames.For"/> names it, trying the next name while one is taken.</summary>
    /// <param name="client">The daemon.</param>
    /// <param name="options">What to create; the name is chosen here.</param>
    /// <param name="startedAt">The time in the name.</param>
    /// <param name="trying">Told each name before it is tried (a readiness timeout names what it kept).</param>
    /// <param name="cancellationToken">Cancels the creation; the SDK deletes a half-made sandbox.</param>
    /// <exception cref="NameConflictException">Every name tried was taken.</exception>
    /// <exception cref="IncusTestKitException">The creation failed for another reason.</exception>
    public static async Task<Sandbox> CreateAsync(SandboxClient client, SandboxOptions options, DateTime startedAt, Action<string> trying,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var name = DispNames.For(startedAt, attempt);
            trying(name);
            try
            {
                return await client.CreateAsync(options with { Name = name }, cancellationToken);
            }
            catch (IncusTestKitException e) when (attempt < DispNames.Attempts && IsTaken(e))
            {
                // Another disposable sandbox started in the same second: take the next name.
            }
        }
    }

    // A name in use, or one another create is making at this very moment (the daemon then refuses the record as busy).
    private static bool IsTaken(IncusTestKitException e) =>
        e is NameConflictException
        || (e.DaemonMessage is { } daemon && daemon.Contains("Failed creating instance record", StringComparison.Ordinal)
            && daemon.Contains("busy", StringComparison.OrdinalIgnoreCase));

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
                await sandbox.DestroyAsync(force: true, deleteSnapshots: true, deadline.Token);
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
}
