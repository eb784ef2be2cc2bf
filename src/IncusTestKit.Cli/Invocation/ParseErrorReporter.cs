using System.CommandLine;

namespace IncusTestKit.Cli.Invocation;

/// <summary>Command-line mistakes in the same shape as every other error: <c>error:</c> lines, a hint, exit code 1.</summary>
internal static class ParseErrorReporter
{
    /// <summary>Prints the parse errors and returns the error exit code.</summary>
    public static int Report(ParseResult parseResult)
    {
        var command = parseResult.CommandResult.Command;
        var errors = parseResult.Errors.Select(e => e.Message).Distinct().ToList();
        // "lsit" is reported as an unknown word; that no verb was given as well is the same mistake.
        if (parseResult.UnmatchedTokens.Count > 0 && errors.Count > 1)
            errors.RemoveAll(e => e.StartsWith("Required command was not provided", StringComparison.Ordinal));
        return ErrorReporter.Report(errors, Hint(parseResult, command, CommandPath(parseResult)));
    }

    private static string Hint(ParseResult parseResult, Command command, string path)
    {
        var unmatched = parseResult.UnmatchedTokens;
        if (unmatched.Count > 0 && command is RootCommand root && Suggest(unmatched[0], root.Subcommands.Select(c => c.Name)) is { } suggestion)
            return $"Did you mean '{suggestion}'? See: {path} --help";
        if (unmatched.Any(t => t.StartsWith('-')) && command.Name is "exec")
            return $"Put the command after '--' so its options are not read as ours: {path} NAME -- ls -la";
        return $"See: {path} --help";
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (result.Command is not RootCommand)
                names.Add(result.Command.Name);
        }
        names.Add("dotnet isb");
        names.Reverse();
        return string.Join(' ', names);
    }

    // The closest verb within two edits, for "lsit" or "destory".
    private static string? Suggest(string typed, IEnumerable<string> candidates) =>
        candidates.Select(c => (Name: c, Distance: Distance(typed.ToLowerInvariant(), c)))
                  .Where(c => c.Distance <= 2)
                  .OrderBy(c => c.Distance)
                  .Select(c => c.Name)
                  .FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
