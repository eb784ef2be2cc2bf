using Microsoft.Extensions.Logging;

namespace IncusTestKit.Diagnostics;

/// <summary>
/// Every message the kit logs, with stable event ids (a filter or a test may rely on them): 1xxx sandbox lifecycle and
/// cleanup (category <c>IncusTestKit.Sandboxes.SandboxClient</c>), 2xxx commands (<c>IncusTestKit.Sandboxes.Sandbox</c>),
/// 3xxx the daemon itself (<c>IncusTestKit.Client.IncusClient</c>); 4xxx are the tool's own (disp's name draws). The generated methods check
/// <see cref="ILogger.IsEnabled"/> first, so with no logger nothing is formatted or allocated. No message carries a
/// command's environment: its values may be secrets.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Debug, "Creating sandbox {Sandbox} from {Image}")]
    public static partial void CreatingSandbox(ILogger logger, string sandbox, Images.ImageReference image);

    [LoggerMessage(1001, LogLevel.Information, "Created sandbox {Sandbox} in {ElapsedMs} ms")]
    public static partial void SandboxCreated(ILogger logger, string sandbox, long elapsedMs);

    [LoggerMessage(1002, LogLevel.Warning, "Creating sandbox {Sandbox} failed after {ElapsedMs} ms")]
    public static partial void CreateFailed(ILogger logger, string sandbox, long elapsedMs, Exception error);

    [LoggerMessage(1010, LogLevel.Debug, "Destroying sandbox {Sandbox}")]
    public static partial void DestroyingSandbox(ILogger logger, string sandbox);

    [LoggerMessage(1011, LogLevel.Information, "Destroyed sandbox {Sandbox} in {ElapsedMs} ms")]
    public static partial void SandboxDestroyed(ILogger logger, string sandbox, long elapsedMs);

    [LoggerMessage(1020, LogLevel.Debug, "Sandbox {Sandbox} is still busy starting; deleting it again")]
    public static partial void CleanupRetry(ILogger logger, string sandbox);

    [LoggerMessage(1021, LogLevel.Warning, "Could not destroy sandbox {Sandbox}, which this client owns")]
    public static partial void CleanupFailed(ILogger logger, string sandbox, Exception error);

    [LoggerMessage(1030, LogLevel.Information, "Destroying leftover sandbox {Sandbox}: {Reason}")]
    public static partial void DestroyingLeftover(ILogger logger, string sandbox, string reason);

    [LoggerMessage(1031, LogLevel.Warning, "Could not destroy leftover sandbox {Sandbox}")]
    public static partial void LeftoverNotDestroyed(ILogger logger, string sandbox, Exception error);

    [LoggerMessage(1032, LogLevel.Warning, "The sweep for leftover sandboxes failed after {ElapsedMs} ms")]
    public static partial void SweepFailed(ILogger logger, long elapsedMs, Exception error);

    [LoggerMessage(1033, LogLevel.Debug, "The sweep for leftover sandboxes found {Count} ({Failed} not destroyed) in {ElapsedMs} ms")]
    public static partial void SweepDone(ILogger logger, int count, int failed, long elapsedMs);

    [LoggerMessage(1034, LogLevel.Warning, "Could not take the owner label off sandbox {Sandbox}, kept for inspection: the leftover sweep destroys it once this process has ended")]
    public static partial void DisownFailed(ILogger logger, string sandbox, Exception error);

    [LoggerMessage(1035, LogLevel.Debug, "Started the crash watcher {Watcher} for process {Pid}")]
    public static partial void WatcherStarted(ILogger logger, string watcher, int pid);

    [LoggerMessage(1036, LogLevel.Warning, "Could not start the crash watcher; if this process is killed, its sandboxes go at the next sweep (dotnet isb gc): {Reason}")]
    public static partial void WatcherNotStarted(ILogger logger, string reason, Exception? error);

    [LoggerMessage(1100, LogLevel.Debug, "Pool {Pool}: claimed {Sandbox} in {ElapsedMs} ms")]
    public static partial void PoolClaimed(ILogger logger, string pool, string sandbox, long elapsedMs);

    [LoggerMessage(1101, LogLevel.Information, "Pool {Pool} has no ready member: creating {Sandbox} directly")]
    public static partial void PoolEmpty(ILogger logger, string pool, string sandbox);

    [LoggerMessage(1102, LogLevel.Debug, "Pool {Pool}: {Sandbox} was claimed by someone else first")]
    public static partial void PoolClaimLost(ILogger logger, string pool, string sandbox);

    [LoggerMessage(1103, LogLevel.Warning, "Pool {Pool}: creating member {Sandbox} failed; retrying in {RetryMs} ms")]
    public static partial void PoolMemberFailed(ILogger logger, string pool, string sandbox, long retryMs, Exception error);

    [LoggerMessage(1104, LogLevel.Warning, "Pool {Pool}: reading its members failed")]
    public static partial void PoolTopUpFailed(ILogger logger, string pool, Exception error);

    [LoggerMessage(1105, LogLevel.Debug, "Pool {Pool}: member {Sandbox} is ready")]
    public static partial void PoolMemberReady(ILogger logger, string pool, string sandbox);

    [LoggerMessage(1200, LogLevel.Debug, "Shared sandbox {Sandbox} ({Key}): {Action} in {ElapsedMs} ms")]
    public static partial void SharedAcquired(ILogger logger, string sandbox, string key, string action, long elapsedMs);

    [LoggerMessage(1201, LogLevel.Debug, "Shared sandbox {Sandbox}: lease released ({Outcome})")]
    public static partial void SharedReleased(ILogger logger, string sandbox, string outcome);

    [LoggerMessage(2000, LogLevel.Debug, "Running {Command} in sandbox {Sandbox}")]
    public static partial void CommandStarting(ILogger logger, CommandText command, string sandbox);

    [LoggerMessage(2001, LogLevel.Information, "Command {Command} in sandbox {Sandbox} exited with {ExitCode} after {ElapsedMs} ms")]
    public static partial void CommandExited(ILogger logger, CommandText command, string sandbox, int exitCode, long elapsedMs);

    [LoggerMessage(2002, LogLevel.Warning, "Command {Command} in sandbox {Sandbox} ended without an exit code after {ElapsedMs} ms")]
    public static partial void CommandFailed(ILogger logger, CommandText command, string sandbox, long elapsedMs, Exception error);

    [LoggerMessage(3000, LogLevel.Warning, "The Incus daemon on {Socket} did not answer within {WaitedMs} ms ({Request})")]
    public static partial void DaemonNotAnswering(ILogger logger, string socket, long waitedMs, string request);

    [LoggerMessage(3001, LogLevel.Information, "{What}: the daemon dropped the command's streams before they were attached (HTTP {Status}); asking again, attempt {Attempt}")]
    public static partial void ExecAttachRetry(ILogger logger, string what, int status, int attempt);

    [LoggerMessage(3002, LogLevel.Debug, "Operation {Operation} still running after a {RoundSeconds} s wait round")]
    public static partial void OperationStillRunning(ILogger logger, string operation, int roundSeconds);

    [LoggerMessage(3003, LogLevel.Debug, "Exec agent started in sandbox {Sandbox} in {ElapsedMs} ms")]
    public static partial void AgentStarted(ILogger logger, string sandbox, long elapsedMs);

    [LoggerMessage(3004, LogLevel.Information, "Sandbox {Sandbox} runs its commands through the daemon: {Reason}")]
    public static partial void AgentUnavailable(ILogger logger, string sandbox, string reason);

    [LoggerMessage(3005, LogLevel.Warning, "The exec agent's channel in sandbox {Sandbox} broke: {Reason}")]
    public static partial void AgentBroken(ILogger logger, string sandbox, string reason);

    /// <summary>Whole milliseconds, the unit every duration is logged in.</summary>
    public static long Milliseconds(TimeSpan elapsed) => (long)elapsed.TotalMilliseconds;
}
