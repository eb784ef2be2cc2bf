using System.CommandLine;
using IncusTestKit.Cli.Configuration;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary>
/// <c>dotnet isb doctor</c>: checks what a sandbox needs (socket, permissions, daemon, storage, network, default image)
/// and what some features need (idmapped mounts, VMs); one line per check, the fix under each problem, exit code 1
/// when something a sandbox needs is broken.
/// </summary>
internal sealed class DoctorCommand : VerbCommand
{
    private const string DefaultImageCheck = "default image";

    private readonly Option<bool> _json = CommonOptions.Json();

    public DoctorCommand() : base("doctor", "Check this machine can run sandboxes, and say how to fix what is missing")
    {
        Options.Add(_json);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb doctor",
        "dotnet isb doctor --json",
        "dotnet isb doctor --socket /var/lib/incus/unix.socket --project ci",
        "dotnet isb doctor --json | jq -r '.checks[] | select(.status == \"failed\") | .fix'",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var checks = new List<HealthCheck>();
        var config = CheckConfig(checks);
        checks.AddRange(await CheckDaemonAsync(parseResult, config, cancellationToken));

        if (parseResult.GetValue(_json))
            WriteJson(checks);
        else
            WriteText(checks);
        return checks.Any(c => c.Status == CheckStatus.Failed) ? ErrorReporter.ErrorExitCode : 0;
    }

    private static IsbConfig CheckConfig(List<HealthCheck> checks)
    {
        try
        {
            var config = IsbConfig.Load();
            checks.Add(config.Path is null
                ? new HealthCheck("config", CheckStatus.Ok, $"no config file (optional: {IsbConfig.LocalFileName} here or above, or {IsbConfig.UserFilePath(Environment.GetEnvironmentVariable)})")
                : new HealthCheck("config", CheckStatus.Ok, config.Image is null ? $"{config.Path} (sets nothing)" : $"{config.Path}: image {config.Image}"));
            return config;
        }
        catch (FormatException e)
        {
            checks.Add(new HealthCheck("config", CheckStatus.Failed, e.Message, "Fix the file, or delete it to use the defaults"));
            return IsbConfig.None;
        }
    }

    private static async Task<IReadOnlyList<HealthCheck>> CheckDaemonAsync(ParseResult parseResult, IsbConfig config, CancellationToken cancellationToken)
    {
        var environment = (Func<string, string?>)Environment.GetEnvironmentVariable;
        SandboxClient client;
        try
        {
            // The default image checked is the one disp would use: ISB_IMAGE, else the config file's, else built in.
            client = GlobalOptions.CreateClient(parseResult, project: null, config.DefaultImage(environment));
        }
        catch (IncusTestKitException e)
        {
            return [new HealthCheck("client", CheckStatus.Failed, e.Message, "Fix --remote / INCUS_REMOTE, or use the local daemon")];
        }

        await using (client)
        {
            IReadOnlyList<HealthCheck> health;
            try
            {
                health = await client.CheckHealthAsync(cancellationToken);
            }
            catch (IncusTestKitException e)
            {
                return [new HealthCheck("daemon", CheckStatus.Failed, e.Message, "See: incus info; incus project list")];
            }
            var source = config.DefaultImageSource(environment);
            return health.Select(c => c.Name != DefaultImageCheck ? c : c with
            {
                Detail = $"{c.Detail} ({source})",
                // The SDK suggests ISB_IMAGE; an image named in a config file is fixed there.
                Fix = c.Fix is null || source is "ISB_IMAGE" or "built in" ? c.Fix : c.Fix.Replace("ISB_IMAGE", source, StringComparison.Ordinal),
            }).ToList();
        }
    }

    private static void WriteText(IReadOnlyList<HealthCheck> checks)
    {
        var color = Terminal.IsInteractive && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        var width = checks.Max(c => c.Name.Length);
        foreach (var check in checks)
        {
            var (word, code) = check.Status switch
            {
                CheckStatus.Ok => ("ok  ", "32"),
                CheckStatus.Warning => ("warn", "33"),
                _ => ("FAIL", "31"),
            };
            var mark = color ? $"\u001b[{code}m{word}\u001b[0m" : word;
            Console.Out.WriteLine($"{mark}  {check.Name.PadRight(width)}  {check.Detail}");
            if (check.Fix is not null && check.Status != CheckStatus.Ok)
                Console.Out.WriteLine($"      {new string(' ', width)}  fix: {check.Fix}");
        }

        var failed = checks.Count(c => c.Status == CheckStatus.Failed);
        var warnings = checks.Count(c => c.Status == CheckStatus.Warning);
        Console.Out.WriteLine();
        Console.Out.WriteLine(failed > 0
            ? $"{failed} problem(s): sandboxes cannot be created until they are fixed."
            : warnings > 0
                ? $"Ready for sandboxes ({warnings} warning(s): features that need more than this machine has)."
                : "Ready for sandboxes.");
    }

    private static void WriteJson(IReadOnlyList<HealthCheck> checks) => Json.Write(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean("ok", checks.All(c => c.Status != CheckStatus.Failed));
        w.WriteStartArray("checks");
        foreach (var check in checks)
        {
            w.WriteStartObject();
            w.WriteString("name", check.Name);
            w.WriteString("status", check.Status.ToString().ToLowerInvariant());
            w.WriteString("detail", check.Detail);
            w.WriteString("fix", check.Fix);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
