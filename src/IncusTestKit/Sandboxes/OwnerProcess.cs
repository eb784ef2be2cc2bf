using System.Globalization;
using System.Runtime.InteropServices;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// Which process owns a sandbox, written as the <see cref="SandboxLabels.Owner"/> label, in a form that tells a later
/// process for sure whether that owner is gone: a pid alone is reused, so the process's start time (field 22 of
/// <c>/proc/PID/stat</c>, clock ticks since boot) and the boot id come with it; the pid namespace says which processes
/// the pid is counted among; the host name and machine id say which machine it ran on, so an owner elsewhere (a
/// container with the daemon's socket, another host of a shared daemon) is never judged from this one.
/// </summary>
/// <remarks>Format: <c>host=H;machine=M;boot=B;pidns=N;pid=P;start=S</c>: no spaces, so it stays usable in the daemon's list filter.</remarks>
internal sealed partial record OwnerProcess(string Host, string MachineId, string BootId, string PidNamespace, int Pid, long StartTime)
{
    private static readonly Lazy<OwnerProcess?> Self = new(() => Read(Environment.ProcessId));

    /// <summary>This process; null where there is no <c>/proc</c> to tell (not Linux), and then nothing is labelled or reaped.</summary>
    public static OwnerProcess? Current => Self.Value;

    /// <summary>The <see cref="SandboxLabels.Owner"/> value of sandboxes this process owns; null when <see cref="Current"/> is.</summary>
    public static string? CurrentValue => Current?.ToString();

    /// <summary>Reads a process of this machine from <c>/proc</c>; null when it does not exist or cannot be read.</summary>
    public static OwnerProcess? Read(int pid)
    {
        if (!OperatingSystem.IsLinux() || Machine.Value is not { } machine || StartTimeOf(pid) is not { } start)
            return null;
        return machine with { Pid = pid, StartTime = start };
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"host={Host};machine={MachineId};boot={BootId};pidns={PidNamespace};pid={Pid};start={StartTime}");

    /// <summary>Reads an owner label; null when it is not one this version writes (such a sandbox is never reaped).</summary>
    public static OwnerProcess? TryParse(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in value.Split(';'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || !fields.TryAdd(part[..equals], part[(equals + 1)..]))
                return null;
        }
        if (fields.Count != 6
            || !fields.TryGetValue("host", out var host) || host.Length == 0
            || !fields.TryGetValue("machine", out var machine)
            || !fields.TryGetValue("boot", out var boot) || boot.Length == 0
            || !fields.TryGetValue("pidns", out var pidns) || pidns.Length == 0
            || !int.TryParse(fields.GetValueOrDefault("pid"), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0
            || !long.TryParse(fields.GetValueOrDefault("start"), NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }
        return new OwnerProcess(host, machine, boot, pidns, pid, start);
    }

    /// <summary>
    /// Whether this owner is provably gone, judged from this machine: it ran on this machine (same host name and
    /// machine id) and either in an earlier boot, or in this boot and pid namespace with its pid now unused, a zombie,
    /// or used by a process that started at another time. Anything that cannot be proven (another machine, another pid
    /// namespace, a process this user may not look at) counts as alive.
    /// </summary>
    public bool IsGone() => Verdict() is not null;

    /// <summary>Why this owner is gone, for logs and <c>dotnet isb gc</c>; null when it is not provably gone.</summary>
    public string? Verdict()
    {
        if (Machine.Value is not { } here || Host != here.Host || MachineId != here.MachineId)
            return null;
        if (BootId != here.BootId)
            return $"its owner, process {Pid}, ran before this machine last booted";
        if (PidNamespace != here.PidNamespace)
            return null;
        return StartTimeOf(Pid) switch
        {
            { } start when start == StartTime => null,
            { } => $"its owner, process {Pid}, has ended (the pid now belongs to a later process)",
            null when Exists(Pid) => null,
            null => $"its owner, process {Pid}, has ended",
        };
    }

    /// <summary>
    /// Whether this owner is seen running right now: on this machine, in this boot and pid namespace, with its pid used
    /// by a process that started when it did. False when it is gone and also when it cannot be judged from here.
    /// </summary>
    public bool IsSeenAlive() =>
        Machine.Value is { } here && Host == here.Host && MachineId == here.MachineId && BootId == here.BootId
        && PidNamespace == here.PidNamespace && StartTimeOf(Pid) == StartTime;

    private static readonly Lazy<OwnerProcess?> Machine = new(ReadMachine);

    private static OwnerProcess? ReadMachine()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        var boot = ReadLine("/proc/sys/kernel/random/boot_id");
        // "pid:[4026531836]": the namespace's inode, the same for every process that sees the same pids.
        var pidns = TryOrNull(() => new FileInfo("/proc/self/ns/pid").LinkTarget) is { } link && link.StartsWith("pid:[", StringComparison.Ordinal)
            ? link[5..^1]
            : null;
        if (boot is null || pidns is null)
            return null;
        var machineId = ReadLine("/etc/machine-id") ?? ReadLine("/var/lib/dbus/machine-id") ?? "";
        return new OwnerProcess(Clean(Environment.MachineName), Clean(machineId), Clean(boot), pidns, 0, 0);
    }

    /// <summary>Field 22 of <c>/proc/PID/stat</c>, or null when the pid is unused, a zombie, or cannot be read.</summary>
    internal static long? StartTimeOf(int pid)
    {
        var stat = ReadLine(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
        return stat is null ? null : ParseStartTime(stat);
    }

    /// <summary>
    /// The start time in a <c>/proc/PID/stat</c> line; null for a zombie (it has ended; only its parent has not
    /// collected it) or a line that does not parse. The command name (field 2) is in parentheses and may itself
    /// contain spaces and parentheses, so the fields are counted from the last ')'.
    /// </summary>
    internal static long? ParseStartTime(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0)
            return null;
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (the state), so field 22 is fields[19].
        if (fields.Length < 20 || fields[0] is "Z" or "X" or "x")
            return null;
        return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }

    // /proc mounted with hidepid hides other users' processes: kill(pid, 0) still tells an existing one (EPERM) from none (ESRCH).
    private static bool Exists(int pid) => kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != Esrch;

    private const int Esrch = 3;

    private static string? ReadLine(string path) =>
        TryOrNull(() => File.ReadAllText(path).Trim()) is { Length: > 0 } text ? text : null;

    private static string? TryOrNull(Func<string?> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Keeps the label parseable whatever a host name holds.
    private static string Clean(string value) => string.Concat(value.Where(c => c is not (';' or '=') && !char.IsWhiteSpace(c)));

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
