using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace IncusTestKit.Cli.Invocation;

/// <summary>The standard help, followed by the verb's examples (kept out of the description so the verb list stays one line each).</summary>
internal sealed class ExamplesHelpAction(HelpAction standard, IReadOnlyList<string> rootExamples) : SynchronousCommandLineAction
{
    /// <summary>Replaces the root's help action, which every verb's <c>--help</c> uses.</summary>
    public static void Install(RootCommand root, IReadOnlyList<string> rootExamples)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction standard)
            help.Action = new ExamplesHelpAction(standard, rootExamples);
    }

    /// <inheritdoc />
    public override int Invoke(ParseResult parseResult)
    {
        var result = standard.Invoke(parseResult);
        var examples = parseResult.CommandResult.Command switch
        {
            VerbCommand verb => verb.Examples,
            RootCommand => rootExamples,
            _ => [],
        };
        if (examples.Count == 0)
            return result;
        var output = parseResult.InvocationConfiguration.Output;
        output.WriteLine("Examples:");
        foreach (var example in examples)
            output.WriteLine($"  {example}");
        output.WriteLine();
        return result;
    }
}
