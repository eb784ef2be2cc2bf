using System.CommandLine;
using System.CommandLine.Parsing;
using IncusTestKit.Cli.Parsing;

namespace IncusTestKit.Cli.Invocation;

/// <summary>Factories for the options several verbs share, so they are spelled and described the same everywhere.</summary>
internal static class CommonOptions
{
    /// <summary><c>--json</c>: machine-readable output on every verb that returns data.</summary>
    public static Option<bool> Json() => new("--json")
    {
        Description = "Print JSON for machines instead of text for people",
    };

    /// <summary>The sandbox-name argument of verbs that act on one sandbox.</summary>
    public static Argument<string> Name() => new("name")
    {
        Description = "The sandbox's name",
    };

    /// <summary>The sandbox-names argument of verbs that act on one or more sandboxes.</summary>
    public static Argument<string[]> Names() => new("names")
    {
        Description = "One or more sandbox names",
        Arity = ArgumentArity.OneOrMore,
        HelpName = "name",
    };

    /// <summary><c>--force</c> (<c>-f</c>) of the verbs that stop a sandbox: kill instead of a clean shutdown.</summary>
    /// <param name="description">What forcing means for this verb.</param>
    public static Option<bool> Force(string description) => new("--force", "-f")
    {
        Description = description,
    };

    /// <summary><c>--timeout</c> (<c>-t</c>) of the verbs that shut a sandbox down cleanly.</summary>
    /// <param name="description">What it bounds, with its default.</param>
    public static Option<TimeSpan?> ShutdownTimeout(string description) => Duration("--timeout", description, allowZero: false, "-t");

    /// <summary>A duration option: <c>500ms</c>, <c>2s</c>, <c>5m</c>, <c>1m30s</c>; a bare number is seconds.</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">What it bounds, with its default.</param>
    /// <param name="allowZero">Whether 0 is meaningful (for exec it means no limit).</param>
    /// <param name="aliases">Short forms.</param>
    public static Option<TimeSpan?> Duration(string name, string description, bool allowZero, params string[] aliases) => new(name, aliases)
    {
        Description = description,
        HelpName = "duration",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
            if (!DurationParser.TryParse(text, out var value))
            {
                result.AddError($"{name}: {DurationParser.ErrorFor(text)}");
                return null;
            }
            if (value == TimeSpan.Zero && !allowZero)
            {
                result.AddError($"{name}: the duration must be more than 0.");
                return null;
            }
            return value;
        },
    };

    /// <summary>An option parsed by <paramref name="parse"/>, whose <see cref="FormatException"/> becomes a parse error.</summary>
    public static T? ParseOrReport<T>(ArgumentResult result, Func<string, T> parse)
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            result.AddError(e.Message);
            return default;
        }
    }
}
