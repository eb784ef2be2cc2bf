using IncusTestKit.Sandboxes;

// Usage: IncusTestKit.ExitProbe <name> exit|wait
// Creates an auto-destroy busybox sandbox and never disposes it: either returns at once, or waits to be
// signalled. Whatever ends the process, the sandbox must go with it.
var client = new SandboxClient();
var sandbox = await client.CreateAsync(new SandboxOptions { Image = "isb/busybox", Name = args[0] });
Console.WriteLine($"ready {sandbox.Name}");
if (args[1] == "wait")
    await Task.Delay(Timeout.Infinite);
return 0;
