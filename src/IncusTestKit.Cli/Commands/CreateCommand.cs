using System.CommandLine;
using System.Diagnostics;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Cli.Parsing;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb create [name]</c>: creates a sandbox that outlives the tool, and prints its name.</summary>
internal sealed class CreateCommand : VerbCommand
{
    private readonly Argument<string?> _name = new("name")
    {
        Description = "The sandbox's name: letters, digits and hyphens [default: sandbox-<random>]",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<string?> _image = new("--image", "-i")
    {
        Description = "A local image alias, a fingerprint or remote:alias [default: ISB_IMAGE, else isb/debian12]",
        HelpName = "image",
    };

    private readonly Option<bool> _vm = new("--vm")
    {
        Description = "Create a virtual machine instead of a container (needs KVM on the host)",
    };

    private readonly Option<int?> _cpu = new("--cpu")
    {
        Description = "How many CPUs it may use [default: no limit]",
        HelpName = "count",
    };

    private readonly Option<string?> _memory = new("--memory", "-m")
    {
        Description = "Memory limit, such as 256MiB, 2GiB or 25%; none for no limit [default: 512MiB]",
        HelpName = "size",
    };

    private readonly Option<string?> _disk = new("--disk")
    {
        Description = "Root disk size, such as 5GiB; none for the pool's default [default: 10GiB]",
        HelpName = "size",
    };

    private readonly Option<string[]> _profiles = new("--profile", "-p")
    {
        Description = "An Incus profile to apply, in order (repeatable) [default: default]",
        HelpName = "profile",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<bool> _ephemeral = new("--ephemeral")
    {
        Description = "Make it ephemeral: Incus deletes it when it stops",
    };

    private readonly Option<string[]> _labels = new("--label", "-l")
    {
        Description = "Attach a label KEY=VALUE, to find it later (repeatable)",
        HelpName = "KEY=VALUE",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> _mounts = new("--mount")
    {
        Description = "Mount a host folder: SRC:TARGET[:MODE][,force], MODE overlay (default), readonly (ro) or readwrite (rw); force allows a system folder; SRC may be relative (repeatable)",
        HelpName = "SRC:TARGET[:MODE]",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> _execChannel = new Option<string?>("--exec-channel")
    {
        Description = "How its commands reach it: daemon (an exec operation per command), auto (IncusTestKit's exec agent where the image can run it, "
            + "else the daemon) or agent (the agent or an error) [default: daemon]",
        HelpName = "daemon|auto|agent",
    }.AcceptOnlyFromAmong("daemon", "auto", "agent");

    private readonly Option<TimeSpan?> _timeout = CommonOptions.Duration("--timeout",
        "How long to wait for it to run and get an address [default: 60s]", allowZero: false);

    private readonly Option<bool> _json = CommonOptions.Json();

    private readonly IsolationOptions _isolation = new();

    public CreateCommand() : base("create", "Create a sandbox and start it; it stays until you destroy it")
    {
        Arguments.Add(_name);
        Options.Add(_image);
        Options.Add(_vm);
        Options.Add(_cpu);
        Options.Add(_memory);
        Options.Add(_disk);
        Options.Add(_profiles);
        Options.Add(_ephemeral);
        Options.Add(_labels);
        Options.Add(_mounts);
        Options.Add(_timeout);
        Options.Add(_execChannel);
        _isolation.AddTo(this);
        Options.Add(_json);
        _cpu.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
                result.AddError("--cpu must be at least 1.");
        });
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb create web --image isb/busybox",
        "dotnet isb create --memory 1GiB --cpu 2 --label team=payments",
        "name=$(dotnet isb create --image isb/debian12 --ephemeral)",
        "dotnet isb create ci-1 --json",
        "dotnet isb create dev --mount ./src:/work --mount ./data:/data:ro",
        "dotnet isb create jail --image isb/busybox --no-network --processes 200",
        "dotnet isb create fast --image isb/debian12 --exec-channel auto",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var options = new SandboxOptions
        {
            Name = parseResult.GetValue(_name),
            Image = parseResult.GetValue(_image),
            Type = parseResult.GetValue(_vm) ? SandboxType.VirtualMachine : null,
            Limits = new SandboxLimits
            {
                Cpu = parseResult.GetValue(_cpu),
                Memory = Size(parseResult.GetValue(_memory), SandboxLimits.Default.Memory),
                Disk = Size(parseResult.GetValue(_disk), SandboxLimits.Default.Disk),
            },
            Ephemeral = parseResult.GetValue(_ephemeral),
            Labels = KeyValueParser.ParseAll(parseResult.GetValue(_labels) ?? [], "label", "team=payments"),
            Mounts = MountSpecParser.ParseAll(parseResult.GetValue(_mounts) ?? []),
            // The sandbox is the point of this verb: it must outlive the tool.
            AutoDestroy = false,
            ExecChannel = parseResult.GetValue(_execChannel) switch
            {
                "auto" => ExecChannel.Auto,
                "agent" => ExecChannel.Agent,
                _ => ExecChannel.Daemon,
            },
        };
        if (parseResult.GetValue(_profiles) is { Length: > 0 } profiles)
            options = options with { Profiles = profiles };
        if (parseResult.GetValue(_timeout) is { } timeout)
            options = options with { Timeout = timeout };
        options = _isolation.Apply(parseResult, options);

        await using var client = GlobalOptions.CreateClient(parseResult);
        var stopwatch = Stopwatch.StartNew();
        Sandbox sandbox;
        try
        {
            using (Progress.Start($"Creating sandbox{(options.Name is null ? "" : $" '{options.Name}'")} from {options.Image ?? client.DefaultImage}"))
                sandbox = await client.CreateAsync(options, cancellationToken);
        }
        catch (ArgumentException e) when (e.ParamName is "Limits.Memory" or "Limits.Disk")
        {
            // The SDK names its properties; a person typed options.
            var option = e.ParamName == "Limits.Memory" ? "--memory" : "--disk";
            throw new FormatException(e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)
                .Replace(e.ParamName, option, StringComparison.Ordinal), e);
        }
        var elapsed = stopwatch.Elapsed;

        if (parseResult.GetValue(_json))
            Json.Write(w => SandboxFormat.WriteCreated(w, sandbox, elapsed));
        else if (Terminal.IsInteractive)
        {
            var address = sandbox.IPv4Address is { } ip ? $" at {ip}" : "";
            Console.Out.WriteLine($"Created sandbox '{sandbox.Name}' ({sandbox.Image}){address} in {SandboxFormat.Duration(elapsed)}.");
            Console.Out.WriteLine($"Run a command in it: dotnet isb exec {sandbox.Name} -- uname -a");
        }
        else
            Console.Out.WriteLine(sandbox.Name);
        return 0;
    }

    private static string? Size(string? value, string? fallback) => value switch
    {
        null => fallback,
        _ when value.Equals("none", StringComparison.OrdinalIgnoreCase) => null,
        _ => value,
    };
}
