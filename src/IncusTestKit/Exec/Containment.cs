namespace IncusTestKit.Exec;

/// <summary>
/// Holds a command where a kill can find all of it, and is that kill: the in-sandbox side of
/// <see cref="CommandOptions.Timeout"/> and of cancellation. Everything here is POSIX sh with busybox or coreutils, so
/// it works on any image with <c>/bin/sh</c>.
/// </summary>
/// <remarks>
/// <para>
/// First choice, a cgroup of its own: each command runs in a fresh cgroup2 group (<c>isb/exec-ID</c> under the
/// sandbox's cgroup root, mounted at <c>/run/isb/cgroup</c> when the sandbox has none). Every process it starts is
/// born in that group and stays there whatever it does with its parent, session or environment; only root can move
/// a process out. The kill freezes the group (nothing can fork), counts it, kills it with <c>cgroup.kill</c> and
/// waits until it is empty.
/// </para>
/// <para>
/// Fallback, where cgroup2 cannot be mounted: the command gets a session of its own (<c>setsid</c>) and its pid is
/// noted; the kill takes the union of that pid, its descendants (by parent, to a fixpoint), its session and every
/// process carrying the <see cref="ExecIdVariable"/> marker, stops each one it finds (a stopped process cannot fork)
/// until a round finds nothing new, then kills them all and checks they are gone. A process that leaves the session,
/// loses its parent and clears its environment escapes this; the kill report says so.
/// </para>
/// <para>
/// A command runs as root joins its cgroup itself before <c>exec</c>. A command run as another user cannot (moving a
/// process between cgroups needs root), so it stops itself and a second exec, as root, moves it in and continues it
/// (<see cref="AdoptArgv"/>); the daemon still does the switch to the user.
/// </para>
/// <para>
/// The exec agent needs none of this wrapper where it finds the cgroup root: it starts each command, of any user, in
/// the command's group itself (<see cref="ExecStart.Group"/>), and the same kill finds it there.
/// </para>
/// </remarks>
internal static class Containment
{
    /// <summary>Every process a command starts inherits this variable unless it clears it; the fallback kill looks for it.</summary>
    public const string ExecIdVariable = "ISB_EXEC_ID";

    // Variables the wrapper's own sh adds to the environment (dash: PWD; busybox ash: PWD and SHLVL), dropped again so
    // the command sees the environment it was given.
    private static readonly string[] ShellAdded = ["PWD", "SHLVL"];

    // Finds the cgroup2 mount (LXC mounts one at /sys/fs/cgroup on hosts with cgroup2 only); root() mounts one when
    // there is none. join() moves pid $1 into a new group for exec id $i (made here) and says whether that
    // worked. Empty groups of finished commands are removed once there are more than 16
    // (rmdir refuses a group that still has processes).
    private const string Prelude = """
        m=
        for d in /sys/fs/cgroup /sys/fs/cgroup/unified /run/isb/cgroup; do [ -f $d/cgroup.controllers ] && m=$d && break; done
        many() { [ $# -gt 16 ]; }
        root() { [ -n "$m" ] || { m=/run/isb/cgroup; { mkdir -p $m && mount -t cgroup2 cgroup2 $m; } 2>/dev/null; }; }
        join() {
          root || return 1
          many $m/isb/exec-* && rmdir $m/isb/exec-* 2>/dev/null
          for t in 1 2 3; do
            { { [ -d $m/isb/exec-$i ] || mkdir -p $m/isb/exec-$i; } && echo $1 > $m/isb/exec-$i/cgroup.procs; } 2>/dev/null && return 0
          done
          rmdir $m/isb/exec-$i 2>/dev/null
          return 1
        }

        """;

    // $1 exec id, $2 join (run as root) or wait (stop until adopted), $3 variables to unset, then the command.
    // Outside a cgroup it notes its pid (root) and takes a session of its own; exec keeps the pid throughout.
    private const string Wrapper = Prelude + """
        i=$1 w=$2 c=; unset $3; shift 3
        command -v "$1" >/dev/null 2>&1 || { printf '%s: command not found\n' "$1" >&2; kill -USR2 $$; exit 127; }
        if [ $w = join ]; then join $$ || { mkdir -p /run/isb && echo $$ > /run/isb/$i.pid; } 2>/dev/null; else kill -STOP $$; fi
        while read -r l; do [ "$l" = "0::/isb/exec-$i" ] && c=1; done < /proc/self/cgroup
        [ -z "$c" ] && command -v setsid >/dev/null 2>&1 && set -- setsid "$@"
        exec "$@"
        """;

    // $1 exec id. Finds the stopped wrapper of a non-root command by its marker, moves it into its cgroup (or notes its
    // pid for the fallback) and continues it. Exits 1 when it never appears.
    private const string Adopt = Prelude + """
        i=$1 n=0
        while [ $n -lt 500 ]; do
          for f in $(grep -ls "ISB_EXEC_ID=$i" /proc/[0-9]*/environ); do
            p=${f#/proc/}; p=${p%/environ}
            { read -r s < /proc/$p/stat; } 2>/dev/null || continue
            set -- ${s##*) }
            [ "$1" = T ] || continue
            join $p || { mkdir -p /run/isb && echo $p > /run/isb/$i.pid; } 2>/dev/null
            kill -CONT $p; exit 0
          done
          sleep 0.01 2>/dev/null || sleep 1; n=$((n+1))
        done
        exit 1
        """;

    // $1 exec id. Prints the mechanism and how many processes it killed, then on a second line how many are still
    // alive (a missing second line means it could not check). /proc/PID/stat fields after "(comm) ": state, parent,
    // process group, session.
    private const string Kill = Prelude + """
        i=$1 c=$m/isb/exec-$1 r= n=0
        pause() { sleep 0.02 2>/dev/null || sleep 1; n=$((n+1)); [ $n -lt 100 ]; }
        count() { k=0; while read -r p; do k=$((k+1)); done < $c/cgroup.procs; }
        frozen() { f=; while read -r a b; do [ "$a" = frozen ] && f=$b; done < $c/cgroup.events; [ "$f" = 1 ]; }
        if [ -n "$m" ] && [ -d $c ]; then
          echo 1 > $c/cgroup.freeze && until frozen || ! pause; do :; done
          count; echo cgroup $k
          echo 1 > $c/cgroup.kill
          n=0; while read -r p < $c/cgroup.procs; do
            [ -f $c/cgroup.kill ] || while read -r p; do kill -9 $p; done < $c/cgroup.procs
            pause || break
          done
          count; rmdir $c; echo $k; exit 0
        fi 2>/dev/null
        { read -r r < /run/isb/$i.pid; rm -f /run/isb/$i.pid; } 2>/dev/null
        x=" " y=1
        while [ -n "$y" ] && [ $n -lt 100 ]; do n=$((n+1)) y= e=" "
          for f in $(grep -ls "ISB_EXEC_ID=$i" /proc/[0-9]*/environ); do f=${f#/proc/}; e="$e${f%/environ} "; done
          for d in /proc/[0-9]*; do
            p=${d#/proc/}
            case "$x" in *" $p "*) continue;; esac
            [ $p = $$ ] || [ $p = 1 ] && continue
            { read -r s < $d/stat; } 2>/dev/null || continue
            set -- ${s##*) }
            case "$1 $x$e" in Z*) continue;; *" $2 "*|*" $p "*) ;; *) [ "$p" = "$r" ] || [ "$4" = "$r" ] || continue;; esac
            kill -STOP $p 2>/dev/null && x="$x$p " y=1
          done
        done
        k=0; for p in $x; do kill -9 $p 2>/dev/null && k=$((k+1)); done
        echo sweep $k
        n=0; while :; do
          s=0; for p in $x; do { read -r t < /proc/$p/stat; } 2>/dev/null && case ${t##*) } in Z*) ;; *) s=$((s+1));; esac; done
          [ $s = 0 ] || ! pause && break
        done
        echo $s
        """;

    // Prints the cgroup2 root commands' groups go under, mounting one if need be; exits 1 where there can be none.
    private const string Root = Prelude + """
        root && echo "$m"
        """;

    /// <summary>The exit code of a command that was not found, as shells use it.</summary>
    public const int NotFoundExitCode = 127;

    /// <summary>
    /// How the wrapper ends when the program is not in the sandbox: <see cref="NotFoundLine"/> on stderr, then death by
    /// SIGUSR2 (exit status 128 + 12), which the kit reports as <see cref="NotFoundExitCode"/>. The daemon says
    /// "Command not found" for any exit code 127, so a program that ran and exited with 127 itself looks the same to it;
    /// this pair of signs can only come from the wrapper (a program would have to print that exact line and die of SIGUSR2).
    /// </summary>
    public const int NotFoundStatus = 128 + 12;

    /// <summary>All the wrapper prints, on stderr, when the program is not in the sandbox (its printf writes the same).</summary>
    public static string NotFoundLine(string program) => $"{program}: command not found\n";

    /// <summary>The exit code of a program that is there but may not be executed, as shells use it.</summary>
    public const int NotExecutableExitCode = 126;

    /// <summary>What is printed, on stderr, when the program may not be executed.</summary>
    public static string NotExecutableLine(string program) => $"{program}: Permission denied\n";

    /// <summary>The command as the daemon is asked to run it: the wrapper, which ends by <c>exec</c>-ing it unchanged.</summary>
    /// <param name="argv">The caller's command.</param>
    /// <param name="execId">Its exec id (hex).</param>
    /// <param name="asRoot">Whether it runs as root and can join its cgroup itself; otherwise it waits for <see cref="AdoptArgv"/>.</param>
    /// <param name="environment">The environment it is given, so only variables the wrapper's shell added are dropped.</param>
    public static IReadOnlyList<string> Wrap(IReadOnlyList<string> argv, string execId, bool asRoot, IReadOnlyDictionary<string, string> environment) =>
        ["/bin/sh", "-c", Wrapper, "isb-exec", execId, asRoot ? "join" : "wait", string.Join(' ', ShellAdded.Where(v => !environment.ContainsKey(v))), .. argv];

    /// <summary>Run as root next to a non-root command: moves it into its cgroup and lets it go.</summary>
    public static IReadOnlyList<string> AdoptArgv(string execId) => ["/bin/sh", "-c", Adopt, "isb-adopt", execId];

    /// <summary>Run as root: prints the cgroup2 root that <see cref="GroupOf"/> takes (or exits 1 where there is none).</summary>
    public static IReadOnlyList<string> RootArgv() => ["/bin/sh", "-c", Root, "isb-cgroup-root"];

    /// <summary>The root <see cref="RootArgv"/> printed; null when that is not a plain absolute path (it comes from the sandbox).</summary>
    public static string? ParseRoot(string output)
    {
        var root = output.TrimEnd('\n');
        return root.Length is > 1 and < 256 && root[0] == '/' && !root.Contains("..", StringComparison.Ordinal)
            && root.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '.')
            ? root
            : null;
    }

    /// <summary>The group a command with this exec id joins, under a root from <see cref="ParseRoot"/>.</summary>
    public static string GroupOf(string root, string execId) => $"{root}/isb/exec-{execId}";

    /// <summary>Run as root: kills the command and everything it started; its output is read by <see cref="KillReport.Parse"/>.</summary>
    public static IReadOnlyList<string> KillArgv(string execId) => ["/bin/sh", "-c", Kill, "isb-kill", execId];
}
