using System.Diagnostics;
using System.Globalization;
using CliWrap;
using CliWrap.Buffered;
using IncusTestKit.Benchmarks;
using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;

// Usage: dotnet run -c Release --project tests/IncusTestKit.Benchmarks [-- --exec-runs N --create-runs N --parallel N --pool-runs N --process-runs N --clean-state-only]
// (--create-runs 0, --exec-runs 0, --parallel 0, --pool-runs 0 (the clean-state one) or --process-runs 0 skips that scenario; the parallel one runs the built dotnet isb,
// the whole-process one the native isb of ./build.sh native next to the incus CLI.
// Only the per-test clean state (warm pool, snapshot restore, template copy, overlay reset against a fresh create):
// ./build.sh bench --clean-state-only [--pool-runs N])
// Needs a bootstrapped Incus (./build.sh bootstrap) and the incus CLI. Prints markdown tables with ratios.
var cleanStateOnly = args.Contains("--clean-state-only");
var execRuns = cleanStateOnly ? 0 : Option("--exec-runs", 200);
var createRuns = cleanStateOnly ? 0 : Option("--create-runs", 5);
var parallel = cleanStateOnly ? 0 : Option("--parallel", 30);
var poolRuns = Option("--pool-runs", 20);
var processRuns = cleanStateOnly ? 0 : Option("--process-runs", 20);
var prefix = $"isbbench-{Environment.ProcessId}";

await using var client = new SandboxClient();
using var raw = new RawIncusApi(client.Endpoint.SocketPath!);
var server = await client.GetServerInfoAsync();
Console.WriteLine($"# IncusTestKit benchmark — Incus {server.ServerVersion}, storage {server.Storage}, {Environment.ProcessorCount} CPUs, {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine();

try
{
    if (createRuns > 0)
    {
        foreach (var image in new[] { "isb/busybox", "isb/debian12" })
            await CompareCreateAsync(image);
    }
    if (execRuns > 0)
    {
        await CompareExecAsync();
        await CompareAgentExecAsync();
    }
    if (parallel > 0)
        await ParallelScenario.RunAsync(parallel, prefix);
    if (poolRuns > 0)
        await CleanStateScenario.RunAsync(client, raw, "isb/busybox", poolRuns, prefix);
    if (processRuns > 0)
        await WholeProcessScenario.RunAsync(client, processRuns, prefix);
}
finally
{
    foreach (var left in await client.ListAsync(prefix: prefix))
        await client.DestroyAsync(left.Name);
}

async Task CompareCreateAsync(string image)
{
    // One launch first, so every contender finds the image already unpacked on the pool (a warm create).
    await Incus("launch", image, $"{prefix}-warm");
    await client.DestroyAsync($"{prefix}-warm");

    var sdk = new List<double>();
    var cli = new List<double>();
    var cliReady = new List<double>();
    var rawApi = new List<double>();
    for (var i = 0; i < createRuns; i++)
    {
        sdk.AddRange((await Measurement.TimeAsync("sdk", 1, async _ =>
            await client.CreateAsync(new SandboxOptions { Image = image, Name = $"{prefix}-sdk-{i}", AutoDestroy = false }))).Milliseconds);
        cli.AddRange((await Measurement.TimeAsync("cli", 1, _ => Incus("launch", image, $"{prefix}-cli-{i}"))).Milliseconds);
        cliReady.AddRange((await Measurement.TimeAsync("cli+ready", 1, async _ =>
        {
            await Incus("launch", image, $"{prefix}-clr-{i}");
            while (!(await Incus("list", $"{prefix}-clr-{i}", "-c", "4", "-f", "csv")).Contains('.', StringComparison.Ordinal))
                await Task.Delay(20);
        })).Milliseconds);
        rawApi.AddRange((await Measurement.TimeAsync("raw", 1, _ => raw.CreateAsync(image, $"{prefix}-raw-{i}"))).Milliseconds);
        foreach (var kind in new[] { "sdk", "cli", "clr", "raw" })
            await client.DestroyAsync($"{prefix}-{kind}-{i}");
    }

    var sdkRun = new Measurement("IncusTestKit `CreateAsync` (running + IPv4 address)", sdk);
    Print($"Create a container from `{image}` (warm, {createRuns} runs)", sdkRun,
        new Measurement("`incus launch` (returns once started)", cli),
        new Measurement("`incus launch` + poll `incus list` until IPv4", cliReady),
        new Measurement("raw REST: POST /1.0/instances start=true + /wait", rawApi));
}

async Task CompareExecAsync()
{
    await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = "isb/busybox", Name = $"{prefix}-exec" });
    string[] argv = ["true"];
    for (var i = 0; i < 10; i++)
    {
        await sandbox.RunCommandAsync(argv);
        await raw.WebSocketExecAsync(sandbox.Name, argv);
        await raw.RecordOutputExecAsync(sandbox.Name, argv);
    }

    var sdk = await Measurement.TimeAsync("IncusTestKit `RunCommandAsync([\"true\"])`", execRuns, _ => sandbox.RunCommandAsync(argv));
    var websocket = await Measurement.TimeAsync("raw REST: websocket exec (4 sockets, EOF, /wait)", execRuns, _ => raw.WebSocketExecAsync(sandbox.Name, argv));
    var record = await Measurement.TimeAsync("raw REST: record-output exec (/wait, 2 logs)", execRuns, _ => raw.RecordOutputExecAsync(sandbox.Name, argv));
    // The same SDK call over HTTPS on loopback: what TLS and TCP add to a round trip (the socket is the only difference).
    await using var tls = await TlsLoopback.StartAsync();
    var overTls = await tls.Client.GetByNameAsync(sandbox.Name);
    for (var i = 0; i < 10; i++)
        await overTls.RunCommandAsync(argv);
    var sdkTls = await Measurement.TimeAsync("IncusTestKit `RunCommandAsync([\"true\"])` over HTTPS (127.0.0.1, client certificate)", execRuns, _ => overTls.RunCommandAsync(argv));
    var cli = await Measurement.TimeAsync("`incus exec NAME -- true`", Math.Max(10, execRuns / 4), _ => Incus("exec", sandbox.Name, "--", "true"));
    var floor = websocket.Median <= record.Median ? websocket : record;
    Print($"Run `true` in a warm busybox sandbox ({execRuns} runs; CLI {cli.Milliseconds.Count})", sdk, floor, websocket.Name == floor.Name ? record : websocket, sdkTls, cli);
    Console.WriteLine($"SDK vs the daemon's floor ({floor.Name}): {sdk.Median / floor.Median:0.00}x the median (target ≤ 1.2x); " +
                      $"the CLI takes {cli.Median / sdk.Median:0.0}x the SDK's median (target ≥ 2x).");
    Console.WriteLine();
}

// Issue 14's exec agent: `true` through the agent's one open exec stream, against the daemon's exec per command on the
// same sandbox in the same run (debian12, as the figures were first taken; busybox runs the same static agent).
async Task CompareAgentExecAsync()
{
    await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = "isb/debian12", Name = $"{prefix}-agent", ExecChannel = ExecChannel.Agent });
    var starting = Stopwatch.StartNew();
    await sandbox.GetExecChannelAsync();
    var agentStart = starting.Elapsed.TotalMilliseconds;
    string[] argv = ["true"];
    for (var i = 0; i < 10; i++)
    {
        await sandbox.RunCommandAsync(argv);
        await raw.WebSocketExecAsync(sandbox.Name, argv);
    }

    var agent = await Measurement.TimeAsync("IncusTestKit `RunCommandAsync([\"true\"])` through the exec agent", execRuns, _ => sandbox.RunCommandAsync(argv));
    var websocket = await Measurement.TimeAsync("raw REST: websocket exec (4 sockets, EOF, /wait), the daemon's floor", execRuns, _ => raw.WebSocketExecAsync(sandbox.Name, argv));
    // Over HTTPS the agent rides on one exec websocket as well: another handle, another agent.
    await using var tls = await TlsLoopback.StartAsync();
    var overTls = await tls.Client.GetByNameAsync(sandbox.Name);
    for (var i = 0; i < 10; i++)
        await overTls.RunCommandAsync(argv);
    var agentTls = await Measurement.TimeAsync("IncusTestKit through the exec agent over HTTPS (127.0.0.1, client certificate)", execRuns, _ => overTls.RunCommandAsync(argv));
    var cli = await Measurement.TimeAsync("`incus exec NAME -- true`", Math.Max(10, execRuns / 4), _ => Incus("exec", sandbox.Name, "--", "true"));
    Print($"Run `true` in a warm debian12 sandbox through the exec agent ({execRuns} runs; CLI {cli.Milliseconds.Count})", agent, websocket, agentTls, cli);
    // What starting one process costs inside this sandbox on this machine, whatever asks for it: the floor under any exec
    // channel (a shell's fork + exec of /bin/true, the mean of a loop, measured in the sandbox itself).
    const int Spawns = 200;
    var spawnLoop = await sandbox.RunCommandAsync(["sh", "-c", "s=$(date +%s%N); i=0; while [ $i -lt $0 ]; do /bin/true; i=$((i+1)); done; echo $(( $(date +%s%N) - s ))", $"{Spawns}"]);
    var spawn = long.Parse(spawnLoop.Stdout.Trim(), CultureInfo.InvariantCulture) / 1e6 / Spawns;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Exec agent: median {agent.Median:0.00} ms (target ≤ 2 ms), p95 {agent.P95:0.00} ms, {agent.Median / websocket.Median:0.00}x the daemon's websocket floor " +
        $"(target ≤ 0.3x); starting it (push + start, once per sandbox handle) took {agentStart:0} ms. One process start inside the sandbox " +
        $"(fork + exec of /bin/true from sh, mean of {Spawns}) takes {spawn:0.00} ms here: the agent's median is {agent.Median / spawn:0.0}x that."));
    Console.WriteLine();
}

static void Print(string title, Measurement baseline, params Measurement[] others) => Measurement.Print(title, "IncusTestKit", baseline, others);

static async Task<string> Incus(params string[] arguments) =>
    (await Cli.Wrap("incus").WithArguments(arguments).ExecuteBufferedAsync()).StandardOutput;

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
