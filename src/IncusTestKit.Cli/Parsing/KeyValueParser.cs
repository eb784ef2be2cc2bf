namespace IncusTestKit.Cli.Parsing;

/// <summary>Reads <c>KEY=VALUE</c> pairs (labels, environment variables); the value may be empty and may contain '='.</summary>
internal static class KeyValueParser
{
    /// <summary>Splits one <c>KEY=VALUE</c> at its first '='.</summary>
    /// <param name="text">The pair.</param>
    /// <param name="what">What the pairs are, for the error message (<c>label</c>, <c>environment variable</c>).</param>
    /// <param name="example">An example pair for the error message.</param>
    /// <exception cref="FormatException">There is no '=' or the key is empty.</exception>
    public static KeyValuePair<string, string> Parse(string text, string what, string example)
    {
        var equals = text.IndexOf('=');
        if (equals < 0)
            throw new FormatException($"The {what} '{text}' has no '=': write KEY=VALUE, for example {example}.");
        if (equals == 0)
            throw new FormatException($"The {what} '{text}' has an empty key: write KEY=VALUE, for example {example}.");
        return new(text[..equals], text[(equals + 1)..]);
    }

    /// <summary>Parses every pair; a key given twice keeps its last value, as a shell assignment would.</summary>
    /// <exception cref="FormatException">A pair is malformed.</exception>
    public static Dictionary<string, string> ParseAll(IEnumerable<string> texts, string what, string example)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            var (key, value) = Parse(text, what, example);
            pairs[key] = value;
        }
        return pairs;
    }

    /// <summary>
    /// Environment variables: <c>NAME=VALUE</c>, or a bare <c>NAME</c>, which passes on this process's own value
    /// (as <c>docker run -e NAME</c> does).
    /// </summary>
    /// <exception cref="FormatException">A pair is malformed, or a bare name is not set here.</exception>
    public static Dictionary<string, string> ParseEnvironment(IEnumerable<string> texts, Func<string, string?> hostEnvironment)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            if (text.Length > 0 && !text.Contains('='))
            {
                pairs[text] = hostEnvironment(text)
                    ?? throw new FormatException($"The environment variable '{text}' is not set here, so it cannot be passed on: write {text}=VALUE.");
                continue;
            }
            var (key, value) = Parse(text, "environment variable", "MODE=test");
            pairs[key] = value;
        }
        return pairs;
    }
}
