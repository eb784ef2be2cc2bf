using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Files;

/// <summary>The files API answers 404 for a missing path and for a missing sandbox alike; the SDK tells them apart.</summary>
public sealed class MissingSandboxFileSpecs
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_files_call_on_a_destroyed_sandbox_says_the_sandbox_is_gone_not_the_path()
    {
        await IncusDaemon.RequireAsync();
        await using var client = new SandboxClient();
        var sandbox = await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("fs-gone"), AutoDestroy = false }, Ct);
        await client.DestroyAsync(sandbox.Name, cancellationToken: Ct);

        // HEAD (no body to read), GET and POST: each 404 is checked against the sandbox itself.
        var calls = new (string What, Func<Task> Call)[]
        {
            ("exists", () => sandbox.Files.ExistsAsync("/etc/hostname", Ct)),
            ("stat", () => sandbox.Files.StatAsync("/etc/hostname", Ct)),
            ("read", () => sandbox.Files.ReadFileAsync("/etc/hostname", cancellationToken: Ct)),
            ("write", () => sandbox.Files.WriteFileAsync("/tmp/x", "x", cancellationToken: Ct)),
            ("rm --force", () => sandbox.Files.DeleteAsync("/tmp/x", force: true, cancellationToken: Ct)),
        };
        foreach (var (what, call) in calls)
        {
            var error = await Should.ThrowAsync<SandboxNotFoundException>(call, what);
            error.Name.ShouldBe(sandbox.Name, what);
            error.Message.ShouldContain("dotnet isb list", customMessage: what);
        }
    }
}
