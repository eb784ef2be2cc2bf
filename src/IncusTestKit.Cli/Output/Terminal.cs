namespace IncusTestKit.Cli.Output;

/// <summary>
/// What the tool is connected to. People get progress, confirmations and colour only when standard output is a
/// terminal; scripts (a pipe, a file, <c>$(...)</c>) get data and silence.
/// </summary>
internal static class Terminal
{
    /// <summary>Whether standard output is a terminal (a person is watching).</summary>
    public static bool IsInteractive => !Console.IsOutputRedirected;

    /// <summary>Whether standard error may carry colour: it is a terminal and <c>NO_COLOR</c> is not set.</summary>
    public static bool ErrorColor => !Console.IsErrorRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    /// <summary>Writes a line for people (a confirmation, a hint) to standard output when it is a terminal.</summary>
    public static void Say(string line)
    {
        if (IsInteractive)
            Console.Out.WriteLine(line);
    }
}
