using System.CommandLine;
using System.Globalization;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Invocation;

/// <summary>The options of verbs that create a sandbox (<c>create</c>, <c>disp</c>) that set how isolated it is and where it runs.</summary>
internal sealed class IsolationOptions
{
    /// <summary><c>--processes</c>: a count, or <c>none</c>.</summary>
    public Option<int?> Processes { get; } = new("--processes")
    {
        Description = $"How many processes and threads it may have at once, so a fork bomb stays inside; none for no limit [default: {SandboxLimits.Default.Processes}]",
        HelpName = "count|none",
        CustomParser = result => CommonOptions.ParseOrReport<int?>(result, ParseProcesses),
    };

    /// <summary><c>--no-network</c>.</summary>
    public Option<bool> NoNetwork { get; } = new("--no-network")
    {
        Description = "No network card, only loopback (and no wait for an address)",
    };

    /// <summary><c>--deny-setuid</c>.</summary>
    public Option<bool> DenySetuid { get; } = new("--deny-setuid")
    {
        Description = "It may not make setuid or setgid files (always so with a readwrite mount); needed to add a readwrite mount while it runs",
    };

    /// <summary><c>--allow-unsafe-profiles</c>.</summary>
    public Option<bool> AllowUnsafeProfiles { get; } = new("--allow-unsafe-profiles")
    {
        Description = "Create it even if its profiles make it privileged or set security.nesting or raw.* keys",
    };

    /// <summary><c>--target</c>: a cluster member or <c>@group</c>.</summary>
    public Option<string?> Target { get; } = new("--target")
    {
        Description = "On an Incus cluster: the member to run it on, or @group to let the cluster pick one of a group [default: the cluster chooses]",
        HelpName = "member|@group",
    };

    /// <summary>Adds the options to a verb.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Processes);
        command.Options.Add(NoNetwork);
        command.Options.Add(DenySetuid);
        command.Options.Add(AllowUnsafeProfiles);
        command.Options.Add(Target);
    }

    /// <summary><paramref name="options"/> with what was given.</summary>
    public SandboxOptions Apply(ParseResult parseResult, SandboxOptions options)
    {
        if (parseResult.GetValue(Processes) is { } processes)
            options = options with { Limits = options.Limits with { Processes = processes == NoLimit ? null : processes } };
        if (parseResult.GetValue(NoNetwork))
            options = options with { Network = SandboxNetwork.None };
        if (parseResult.GetValue(DenySetuid))
            options = options with { DenySetuidFiles = true };
        if (parseResult.GetValue(AllowUnsafeProfiles))
            options = options with { AllowUnsafeProfiles = true };
        if (parseResult.GetValue(Target) is { } target)
            options = options with { Target = target };
        return options;
    }

    // "none" parses to 0, which a person cannot give (System.CommandLine takes a null from a custom parser for a
    // failed conversion); Apply turns it into the SDK's null.
    private const int NoLimit = 0;

    private static int? ParseProcesses(string text)
    {
        if (text.Equals("none", StringComparison.OrdinalIgnoreCase))
            return NoLimit;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1
            ? count
            : throw new FormatException($"--processes takes a count of at least 1, or none for no limit; '{text}' is neither.");
    }
}
