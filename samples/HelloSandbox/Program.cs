using IncusTestKit.Exec;
using IncusTestKit.Sandboxes;

// The demo of ./build.sh demo: a real sandbox, a real command and real code, through the SDK only.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

await using var client = new SandboxClient();
var server = await client.GetServerInfoAsync(cancel.Token);
Console.WriteLine($"Incus {server.ServerVersion} on {client.Endpoint}");

var started = DateTime.UtcNow;
await using var sandbox = await client.CreateAsync(new SandboxOptions { Image = "isb/debian12" }, cancel.Token);
Console.WriteLine($"Created sandbox {sandbox.Name} ({sandbox.IPv4Address}) in {(DateTime.UtcNow - started).TotalMilliseconds:0} ms");

var result = await sandbox.RunCommandAsync("echo \"hello from $(hostname)\"; uname -sr; . /etc/os-release; echo \"$PRETTY_NAME\"", cancellationToken: cancel.Token);
Console.Write(result.Stdout);

var code = await sandbox.RunCodeAsync("import platform\nprint(f'python {platform.python_version()} says 6 x 7 = {6 * 7}')", CodeLanguage.Python, cancellationToken: cancel.Token);
Console.Write(code.Output);

Console.WriteLine($"Destroying {sandbox.Name} (AutoDestroy)");
return result.ExitCode;
