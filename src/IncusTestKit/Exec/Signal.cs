namespace IncusTestKit.Exec;

/// <summary>
/// A signal for <see cref="TerminalSession.SignalAsync"/>, by name. The values are Linux's signal numbers (as on
/// x86-64 and ARM); another signal can be cast from its number, e.g. <c>(Signal)34</c> for the first real-time one.
/// </summary>
public enum Signal
{
    /// <summary>SIGHUP (1): the terminal went away; many daemons reload their configuration on it.</summary>
    Hangup = 1,
    /// <summary>SIGINT (2): what Ctrl-C sends; most programs stop.</summary>
    Interrupt = 2,
    /// <summary>SIGQUIT (3): what Ctrl-\ sends; the program stops, often with a core dump.</summary>
    Quit = 3,
    /// <summary>SIGKILL (9): ends the program at once; it cannot be caught or ignored.</summary>
    Kill = 9,
    /// <summary>SIGUSR1 (10): means whatever the program defines.</summary>
    User1 = 10,
    /// <summary>SIGUSR2 (12): means whatever the program defines.</summary>
    User2 = 12,
    /// <summary>SIGTERM (15): asks the program to end; it can clean up first.</summary>
    Terminate = 15,
    /// <summary>SIGCONT (18): resumes a stopped program.</summary>
    Continue = 18,
    /// <summary>SIGSTOP (19): pauses the program until <see cref="Continue"/>; it cannot be caught or ignored.</summary>
    Stop = 19,
    /// <summary>SIGTSTP (20): what Ctrl-Z sends; pauses the program unless it handles it.</summary>
    TerminalStop = 20,
}
