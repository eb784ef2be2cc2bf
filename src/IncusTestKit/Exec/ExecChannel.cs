namespace IncusTestKit.Exec;

/// <summary>How a sandbox's commands reach it (<see cref="Sandboxes.SandboxOptions.ExecChannel"/>). Every channel gives the same results, timeouts and kills.</summary>
public enum ExecChannel
{
    /// <summary>
    /// An exec operation of the Incus daemon per command: works on every image and server; each command pays an HTTP
    /// request, four websocket upgrades and an operation wait (a few milliseconds). The default.
    /// </summary>
    Daemon,

    /// <summary>
    /// IncusTestKit's exec agent where the sandbox can run it, the daemon elsewhere. The agent (a small static
    /// linux-x64 program that needs nothing of the image, so isb/busybox runs it too) is pushed into the sandbox through
    /// the files API and started on the first command, through one exec operation that stays open; every command after
    /// that is one round trip on it. Sandboxes that cannot run it (not x86-64, /run mounted noexec), virtual machines
    /// and a build of IncusTestKit without the agent use the daemon; so does a sandbox whose agent died or garbled its
    /// stream (the command that saw it fails).
    /// </summary>
    Auto,

    /// <summary>
    /// The agent, required: a sandbox that cannot run it fails the command with <see cref="Errors.ExecAgentException"/>
    /// instead of using the daemon, and an agent that died is started again for the next command.
    /// </summary>
    Agent,
}
