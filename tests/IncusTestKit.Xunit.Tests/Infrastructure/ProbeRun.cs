using System.Xml.Linq;
using CliWrap;
using CliWrap.Buffered;

namespace IncusTestKit.Xunit.Tests.Infrastructure;

/// <summary>One test's result in a probe run, as the xUnit xml report gives it.</summary>
public sealed record ProbeResult(string Result, string Reason, string Output, string Failure);

/// <summary>
/// Runs classes of the IncusTestKit.Xunit.Probe test assembly as a process of its own (as a CI run would) and reads its
/// xml report: the only honest way to see what xUnit makes of a skip, a failure or a fixture that broke.
/// </summary>
public sealed class ProbeRun
{
    private readonly Dictionary<string, ProbeResult> _results;

    private ProbeRun(Dictionary<string, ProbeResult> results, string console)
    {
        _results = results;
        Console = console;
    }

    /// <summary>What the probe printed (diagnostic messages included when asked for).</summary>
    public string Console { get; }

    /// <summary>The result of <c>Class.Method</c> (the first case of a theory).</summary>
    public ProbeResult this[string classAndMethod] =>
        _results.TryGetValue(classAndMethod, out var result) ? result
            : throw new KeyNotFoundException($"No result for {classAndMethod}; the probe ran: {string.Join(", ", _results.Keys)}.\n{Console}");

    /// <summary>Runs the given probe classes (short names) with these environment changes (null removes a variable).</summary>
    public static async Task<ProbeRun> StartAsync(IEnumerable<string> classes, IReadOnlyDictionary<string, string?>? environment = null, bool diagnostics = false)
    {
        var report = Path.Combine(Path.GetTempPath(), $"isbt-probe-{Guid.NewGuid():N}.xml");
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var run = await Command(classes, environment, ["-xml", report, .. diagnostics ? ["-diagnostics"] : Array.Empty<string>()])
            .ExecuteBufferedAsync(bound.Token);
        try
        {
            var results = new Dictionary<string, ProbeResult>(StringComparer.Ordinal);
            foreach (var test in XDocument.Load(report).Descendants("test"))
            {
                var type = ((string?)test.Attribute("type") ?? "").Replace("IncusTestKit.Xunit.Probe.", "", StringComparison.Ordinal);
                results.TryAdd($"{type}.{(string?)test.Attribute("method")}", new ProbeResult(
                    (string?)test.Attribute("result") ?? "",
                    (string?)test.Element("reason") ?? "",
                    (string?)test.Element("output") ?? "",
                    (string?)test.Element("failure")?.Element("message") ?? ""));
            }
            return new ProbeRun(results, run.StandardOutput + run.StandardError);
        }
        catch (FileNotFoundException)
        {
            throw new InvalidOperationException($"The probe wrote no report (exit code {run.ExitCode}):\n{run.StandardOutput}{run.StandardError}");
        }
        finally
        {
            File.Delete(report);
        }
    }

    /// <summary>The probe run as a command, for specs that start it and end it themselves (results in no report).</summary>
    public static Command Command(IEnumerable<string> classes, IReadOnlyDictionary<string, string?>? environment = null, IEnumerable<string>? extraArguments = null)
    {
        // Scenarios that run classes side by side need two at once even where xUnit's default (one per core) is one.
        List<string> args = [ProbePath, "-noLogo", "-maxThreads", $"{Math.Max(2, Environment.ProcessorCount)}", .. extraArguments ?? []];
        foreach (var name in classes)
            args.AddRange(["-class", $"IncusTestKit.Xunit.Probe.{name}"]);
        // The probe decides skip or fail from these: it starts from none of the outer run's settings.
        var variables = new Dictionary<string, string?>
        {
            ["ISB_REQUIRE_INCUS"] = null,
            ["ISB_SANDBOX"] = null,
            ["ISB_SANDBOX_REMOTE"] = null,
            ["ISB_KEEP_ON_FAILURE"] = null,
            ["ISB_REPOSITORY"] = null,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
            variables[key] = value;
        return Cli.Wrap("dotnet").WithArguments(args).WithEnvironmentVariables(variables).WithValidation(CommandResultValidation.None);
    }

    // Built by the project reference into its own bin folder, in the same configuration as these specs; run from a copy
    // that holds this folder's IncusTestKit assemblies instead of its own. Under coverage those are the instrumented
    // ones, so what the package does inside the probe counts (as the CLI's child processes do for the CLI).
    private static string ProbePath => Probe.Value;

    private static readonly Lazy<string> Probe = new(() =>
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (here.Name, here.Parent!.Name);
        var tests = here.Parent!.Parent!.Parent!.Parent!.FullName;
        var built = Path.Combine(tests, "IncusTestKit.Xunit.Probe", "bin", configuration, framework);
        // Beside the build output, so the repository is still found above the probe.
        var copy = Directory.CreateDirectory($"{built}-run-{Guid.NewGuid():N}").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(copy, recursive: true);
        foreach (var file in Directory.EnumerateFiles(built, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(built, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        foreach (var assembly in new[] { "IncusTestKit.dll", "IncusTestKit.Xunit.dll", "IncusTestKit.Watcher.dll" })
            File.Copy(Path.Combine(AppContext.BaseDirectory, assembly), Path.Combine(copy, assembly), overwrite: true);
        return Path.Combine(copy, "IncusTestKit.Xunit.Probe.dll");
    });
}
