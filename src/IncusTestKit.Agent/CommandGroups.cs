using System.Diagnostics;
using System.Globalization;

namespace IncusTestKit.Agent;

/// <summary>
/// Starts a command inside its own cgroup2 group (<c>ROOT/isb/exec-ID</c>, where the SDK's kill looks for it), so
/// everything it ever starts is found by that kill. The agent moves itself into the group for the moment of the fork
/// and back out at once: the child is born in the group, before any of its code runs, and nothing of it can escape.
/// </summary>
/// <remarks>
/// Why not a wrapper that joins the group and then execs the command: that costs a shell's start (a fork and an exec)
/// on every command, most of an agent round trip. Why not clone3 with CLONE_INTO_CGROUP: the child of a raw clone
/// would run managed code between the fork and the exec, which the runtime does not allow. Starts are serialised (the
/// agent's one reader loop makes them), so no other start happens while the agent is inside a command's group; the SDK
/// only kills a group once its command has started, by when the agent is out of it again.
/// </remarks>
internal static class CommandGroups
{
    private const string Marker = "/isb/exec-";

    private static readonly string Self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    private static readonly Lock Gate = new();

    // Where the agent goes back to after each start: the group it was started in, read once (it does not change unless
    // going back fails, and then the agent's own group takes its place).
    private static string? _home;

    // Groups that still held processes (a command's daemonised children) when their command ended: tried again later.
    private static readonly List<string> Leftovers = [];
    private const int MaxLeftovers = 256;

    /// <summary>Whether <paramref name="group"/> is a command group as the SDK names them: an absolute path ending in <c>/isb/exec-</c> and 16 hex digits.</summary>
    public static bool IsCommandGroup(string group)
    {
        var at = group.LastIndexOf(Marker, StringComparison.Ordinal);
        var id = at < 0 ? "" : group[(at + Marker.Length)..];
        return at > 0 && group[0] == '/' && !group.Contains("/..", StringComparison.Ordinal) && id.Length == 16 && id.All(char.IsAsciiHexDigitLower);
    }

    /// <summary>Starts <paramref name="info"/> inside <paramref name="group"/>, which it makes.</summary>
    /// <exception cref="CannotContainException">The group could not be made or joined; nothing was started.</exception>
    public static Process Start(string group, ProcessStartInfo info)
    {
        var root = group[..group.LastIndexOf(Marker, StringComparison.Ordinal)];
        var home = _home ??= HomeUnder(root);
        try
        {
            Directory.CreateDirectory(group);
            Join(group);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CannotContainException();
        }
        try
        {
            return Process.Start(info)!;
        }
        finally
        {
            Leave(home, root);
        }
    }

    /// <summary>Removes the group of a command that ended, unless its children still run in it (then later).</summary>
    public static void Remove(string group)
    {
        lock (Gate)
        {
            Leftovers.RemoveAll(TryRemove);
            if (!TryRemove(group) && Leftovers.Count < MaxLeftovers)
                Leftovers.Add(group);
        }
    }

    private static bool TryRemove(string group)
    {
        try
        {
            Directory.Delete(group);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return true; // The SDK's kill removed it.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Join(string group) => File.WriteAllText(Path.Combine(group, "cgroup.procs"), Self);

    // Back where the agent was started; failing that, a group of its own. An agent that cannot leave a command's group
    // would die with that command's kill, taking every other command with it: better to end now, visibly.
    private static void Leave(string home, string root)
    {
        try
        {
            Join(home);
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        try
        {
            var own = $"{root}/isb/agent-{Self}";
            Directory.CreateDirectory(own);
            Join(own);
            _home = own;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Program.Abort();
        }
    }

    // The agent's own group as a path under the cgroup2 mount at root: /proc/self/cgroup's "0::PATH" line is relative to
    // the root of the cgroup namespace, which is what a cgroup2 mount in the sandbox shows.
    private static string HomeUnder(string root)
    {
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            if (line.StartsWith("0::/", StringComparison.Ordinal))
                return root + line[3..].TrimEnd('/');
        }
        return root;
    }
}

/// <summary>The command's cgroup could not be made or joined.</summary>
internal sealed class CannotContainException : Exception;
