using IncusTestKit.Errors;
using IncusTestKit.MSBuild.Resources;
using IncusTestKit.MSBuild.Session;
using Microsoft.Build.Framework;

namespace IncusTestKit.MSBuild.Tasks;

/// <summary>
/// The base of IncusTestKit's tasks: runs the task's asynchronous work to the end, cancels it when the build is
/// cancelled (Ctrl-C), routes the SDK's log to the build log, and turns IncusTestKit's typed errors into build errors
/// with an <c>ISB</c> code and the fix in the message.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The token source has no timer to release, and Cancel() may come after Execute.")]
public abstract class IncusSandboxTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary>Sets up the task's messages.</summary>
    protected IncusSandboxTask()
        : base(Strings.Manager)
    {
    }

    /// <summary>
    /// The Incus server: a remote of the incus client config (<c>~/.config/incus/config.yml</c>, or the folder
    /// <c>INCUS_CONF</c> names), local or an HTTPS server with its client certificate and pinned server certificate.
    /// Empty: <c>INCUS_REMOTE</c>, else the local daemon. The targets pass <c>$(SandboxRemote)</c>.
    /// </summary>
    public string? Remote { get; set; }

    /// <summary>Cancels the work: a running command is killed in its sandbox, a create in flight is abandoned and destroyed.</summary>
    public void Cancel() => _cancellation.Cancel();

    /// <inheritdoc />
    public override bool Execute()
    {
        using var route = TaskLoggerFactory.RouteTo(Log);
        try
        {
            if (Validate())
            {
                var sandboxes = BuildSandboxes.For(BuildEngine4);
                Task.Run(() => ExecuteAsync(sandboxes, _cancellation.Token)).GetAwaiter().GetResult();
            }
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            Log.LogWarningWithCodeFromResources("Cancelled", GetType().Name);
            return false;
        }
        catch (Exception e)
        {
            LogError(e);
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>Checks the parameters before anything is sent; logs an error for each bad one.</summary>
    /// <returns>Whether the task can go on.</returns>
    private protected virtual bool Validate() => true;

    /// <summary>The task's work.</summary>
    private protected abstract Task ExecuteAsync(BuildSandboxes sandboxes, CancellationToken cancellationToken);

    /// <summary>Logs a bad parameter value with the rule it breaks.</summary>
    private protected void LogInvalid(string parameter, string? value, string rule) =>
        Log.LogErrorWithCodeFromResources("InvalidParameter", parameter, value ?? "", rule);

    /// <summary>Logs a bad parameter value and returns a placeholder, for use inside expressions.</summary>
    private protected T Invalid<T>(string parameter, string? value, string rule)
    {
        LogInvalid(parameter, value, rule);
        return default!;
    }

    /// <summary>A time span written as <c>hh:mm:ss</c>, or null when empty.</summary>
    private protected TimeSpan? ParseTimeout(string parameter, string? value) =>
        Blank(value) is not { } text ? null
        : TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero ? timeout
        : Invalid<TimeSpan?>(parameter, value, "use hours:minutes:seconds above zero, for example 00:30:00.");

    /// <summary>The value trimmed, or null when it is empty or blank (MSBuild passes an unset property as empty).</summary>
    private protected static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private void LogError(Exception error)
    {
        switch (error)
        {
            case IncusUnavailableException:
                Log.LogErrorWithCodeFromResources("IncusUnavailable", error.Message);
                break;
            case ImageNotFoundException:
                Log.LogErrorWithCodeFromResources("ImageNotFound", error.Message);
                break;
            case SandboxNotFoundException:
                Log.LogErrorWithCodeFromResources("SandboxNotFound", error.Message);
                break;
            case SandboxTimeoutException:
                Log.LogErrorWithCodeFromResources("CommandTimedOut", error.Message);
                break;
            case MountException:
                Log.LogErrorWithCodeFromResources("MountFailed", error.Message);
                break;
            case ResourceLimitException:
                Log.LogErrorWithCodeFromResources("ResourceLimit", error.Message);
                break;
            case PathNotFoundException:
                Log.LogErrorWithCodeFromResources("PathNotFound", error.Message);
                break;
            case IncusTestKitException or ArgumentException:
                Log.LogErrorWithCodeFromResources("SandboxFailed", error.Message);
                break;
            default:
                Log.LogErrorWithCodeFromResources("Unexpected", GetType().Name, error.ToString());
                break;
        }
    }
}
