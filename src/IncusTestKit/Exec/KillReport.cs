using System.Globalization;

namespace IncusTestKit.Exec;

/// <summary>What a kill of a timed-out or cancelled command did, as the in-sandbox sweep reported it, and the one way it is put into words.</summary>
/// <param name="InCgroup">The command had a cgroup of its own (else the fallback sweep ran); null when the kill did not report.</param>
/// <param name="Killed">The processes it sent SIGKILL to.</param>
/// <param name="Survivors">The processes still alive afterwards; null when that could not be checked.</param>
/// <param name="Failure">Why the kill did not report, when it did not.</param>
internal sealed record KillReport(bool? InCgroup, int Killed, int? Survivors, string? Failure)
{
    /// <summary>Reads the two lines <see cref="Containment.KillArgv"/> prints: <c>cgroup|sweep KILLED</c>, then <c>SURVIVORS</c>.</summary>
    public static KillReport Parse(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var first = lines.Length > 0 ? lines[0].Split(' ') : [];
        if (first.Length != 2 || first[0] is not ("cgroup" or "sweep") || !int.TryParse(first[1], NumberStyles.None, CultureInfo.InvariantCulture, out var killed))
            return Failed($"the kill sweep printed '{output.Trim()}'");
        int? survivors = lines.Length > 1 && int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null;
        return new KillReport(first[0] == "cgroup", killed, survivors, null);
    }

    /// <summary>The kill could not run or did not report.</summary>
    public static KillReport Failed(string reason) => new(null, 0, null, reason);

    /// <summary>
    /// <paramref name="subject"/> ("Command '…' in sandbox '…' did not finish within 3 s") and what the kill did and
    /// does not cover. It claims only what the sweep verified.
    /// </summary>
    public string Describe(string subject)
    {
        if (Failure is not null || InCgroup is null)
            return $"{subject}, and killing it failed ({Failure}): it and what it started may still run; destroying the sandbox is the only absolute kill.";
        var found = InCgroup.Value
            ? $"{(Killed == 0 ? "no process was left" : Processes(Killed))} in its own cgroup, which holds every process the command started " +
              "(only root in the sandbox can move a process out of it; destroying the sandbox is the only absolute kill)"
            : $"{(Killed == 0 ? "no process was found" : Processes(Killed) + " found")} by parent, session and the {Containment.ExecIdVariable} variable. " +
              "The sandbox gives commands no cgroup of their own (cgroup2 cannot be mounted in it), so a process that left the command's session and " +
              "process tree and cleared its environment may still run; destroying the sandbox is the only absolute kill";
        var verdict = Survivors switch
        {
            0 => "",
            null => " Whether they all died could not be checked; destroying the sandbox is the only absolute kill.",
            var n => $" {Processes(n.Value)} did not die; destroying the sandbox is the only absolute kill.",
        };
        return $"{subject} and was {(Killed == 0 ? "stopped" : "killed")}: {found}.{verdict}";
    }

    private static string Processes(int n) => n == 1 ? "1 process" : $"{n} processes";
}
