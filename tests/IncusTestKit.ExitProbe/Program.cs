using IncusTestKit.Sandboxes;

// Usage: IncusTestKit.ExitProbe <name> exit|wait|keep
// Creates a busybox sandbox and never disposes it. exit: an auto-destroy one, then returns at once; wait: an
// auto-destroy one, then waits to be signalled (whatever ends the process, the sandbox must go with it, or be reaped
// after a SIGKILL); keep: one made to be kept (AutoDestroy false), then waits.
var client = new SandboxClient();
var sandbox = await client.CreateAsync(new SandboxOptions { Image = "isb/busybox", Name = args[0], AutoDestroy = args[1] != "keep" });
Console.WriteLine($"ready {sandbox.Name}");
if (args[1] is "wait" or "keep")
    await Task.Delay(Timeout.Infinite);
return 0;
