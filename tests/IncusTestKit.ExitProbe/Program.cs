using IncusTestKit.Sandboxes;
using IncusTestKit.Sharing;

// Usage: IncusTestKit.ExitProbe <name> exit|wait|keep|shared
// Creates a busybox sandbox and never disposes it. exit: an auto-destroy one, then returns at once; wait: an
// auto-destroy one, then waits to be signalled (whatever ends the process, the sandbox must go with it, or be reaped
// after a SIGKILL); keep: one made to be kept (AutoDestroy false), then waits; shared: a lease on the shared busybox
// sandbox named <name>-HASH-N (labelled with <name>, so only probes given the same name share), then waits.
var client = new SandboxClient();
if (args[1] == "shared")
{
    var lease = await client.AcquireSharedAsync(new SandboxOptions { Image = "isb/busybox", Labels = new Dictionary<string, string> { ["isbt"] = args[0] } },
        new SharedSandboxOptions { NamePrefix = args[0] });
    Console.WriteLine($"ready {lease.Sandbox.Name} {(lease.Created ? "created" : "joined")}");
    await Task.Delay(Timeout.Infinite);
}
var sandbox = await client.CreateAsync(new SandboxOptions { Image = "isb/busybox", Name = args[0], AutoDestroy = args[1] != "keep" });
Console.WriteLine($"ready {sandbox.Name}");
if (args[1] is "wait" or "keep")
    await Task.Delay(Timeout.Infinite);
return 0;
