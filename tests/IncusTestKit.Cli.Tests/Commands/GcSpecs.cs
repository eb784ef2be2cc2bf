using CliWrap;
using CliWrap.Buffered;
using CliCommand = CliWrap.Cli;
using IncusTestKit.Sandboxes;
using IncusTestKit.Sharing;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>gc: leftovers of ended processes on this machine are listed with --dry-run and destroyed without it.</summary>
public sealed class GcSpecs
{
    private static readonly string[] MachineIdFiles = ["/etc/machine-id", "/var/lib/dbus/machine-id"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dry_run_lists_a_leftover_and_keeps_it()
    {
        await IncusDaemon.RequireAsync();
        var name = TestNames.New("gc-dry");
        try
        {
            await CreateLeftoverAsync(name);
            // Other processes' sweeps run meanwhile: they must not take it away from under this test.
            await ProtectAsync(name, true);

            var json = await IsbTool.RunJsonAsync("gc", "--dry-run", "--json");
            json.GetProperty("dryRun").GetBoolean().ShouldBeTrue();
            json.GetProperty("error").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
            var leftover = json.GetProperty("leftovers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == name);
            leftover.GetProperty("reason").GetString().ShouldBe("its owner, process 1, ran before this machine last booted");
            leftover.GetProperty("destroyed").GetBoolean().ShouldBeFalse();

            var text = await IsbTool.RunAsync("gc", "-n");
            text.ExitCode.ShouldBe(0, text.StandardError);
            text.StandardOutput.ShouldContain("NAME");
            text.StandardOutput.Split('\n').ShouldContain(l => l.StartsWith(name + " ", StringComparison.Ordinal) && l.Contains("would be destroyed", StringComparison.Ordinal));

            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(0);
        }
        finally
        {
            await ProtectAsync(name, false);
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task A_dry_run_lists_a_shared_sandbox_whose_holders_have_all_ended()
    {
        await IncusDaemon.RequireAsync();
        var prefix = TestNames.New("gc-shared");
        await using var client = new SandboxClient();
        var lease = await client.AcquireSharedAsync(new SandboxOptions { Image = TestImages.Busybox, Labels = new Dictionary<string, string> { ["isbt"] = prefix } },
            new SharedSandboxOptions { NamePrefix = prefix }, Ct);
        var name = lease.Sandbox.Name;
        try
        {
            // Its one lease, as a holder that has ended leaves it.
            var show = await CliCommand.Wrap("incus").WithArguments(["config", "show", name]).ExecuteBufferedAsync(Ct);
            var leaseKey = show.StandardOutput.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("user.isb.lease.", StringComparison.Ordinal)).Split(':')[0];
            await CliCommand.Wrap("incus").WithArguments(["config", "set", name, $"{leaseKey}={EndedOwner()}"]).ExecuteAsync(Ct);
            await ProtectAsync(name, true);

            var json = await IsbTool.RunJsonAsync("gc", "--dry-run", "--json");

            var leftover = json.GetProperty("leftovers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == name);
            leftover.GetProperty("reason").GetString().ShouldBe("it was shared, and every process that held it has ended (1)");
            (await IsbTool.RunAsync("info", name)).ExitCode.ShouldBe(0);
        }
        finally
        {
            await ProtectAsync(name, false);
            await lease.DisposeAsync();
            await Leftovers.DestroyAsync(name);
        }
    }

    [Fact]
    public async Task Gc_destroys_a_leftover_and_keeps_a_sandbox_made_with_create()
    {
        await IncusDaemon.RequireAsync();
        var leftover = TestNames.New("gc-left");
        var kept = TestNames.New("gc-kept");
        try
        {
            await CreateLeftoverAsync(leftover);
            (await IsbTool.RunAsync("create", kept, "--image", TestImages.Busybox)).ExitCode.ShouldBe(0);

            var json = await IsbTool.RunJsonAsync("gc", "--json");

            json.GetProperty("dryRun").GetBoolean().ShouldBeFalse();
            // Another process's sweep may have been first; either way it is gone and nothing failed.
            foreach (var found in json.GetProperty("leftovers").EnumerateArray())
                found.GetProperty("destroyed").GetBoolean().ShouldBeTrue();
            (await IsbTool.RunAsync("info", leftover)).ExitCode.ShouldBe(1);
            (await IsbTool.RunAsync("info", kept)).ExitCode.ShouldBe(0);
        }
        finally
        {
            await Leftovers.DestroyAsync(leftover, kept);
        }
    }

    [Fact]
    public async Task Gc_without_a_daemon_is_one_error_line()
    {
        var result = await IsbTool.RunAsync("gc", "--socket", "/nonexistent/isbt/unix.socket");

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: ");
        result.StandardOutput.ShouldBeEmpty();
    }

    /// <summary>
    /// A sandbox as a process of this machine that ended without destroying it leaves it: made by the SDK, owned by
    /// process 1 of a boot of this machine before the last one (so certainly gone).
    /// </summary>
    private static async Task CreateLeftoverAsync(string name)
    {
        await using var client = new SandboxClient();
        await client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = name, AutoDestroy = false }, Ct);
        await CliCommand.Wrap("incus").WithArguments(["config", "set", name, $"user.isb.owner={EndedOwner()}"]).ExecuteAsync(Ct);
    }

    /// <summary>An owner label of process 1 of a boot of this machine before the last one: certainly gone.</summary>
    private static string EndedOwner()
    {
        var machineId = MachineIdFiles.Where(File.Exists).Select(f => File.ReadAllText(f).Trim()).FirstOrDefault() ?? "";
        return $"host={Environment.MachineName};machine={machineId};boot=00000000-0000-0000-0000-000000000000;pidns=1;pid=1;start=1";
    }

    private static async Task ProtectAsync(string name, bool on) =>
        await CliCommand.Wrap("incus").WithArguments(["config", "set", name, $"security.protection.delete={(on ? "true" : "false")}"])
            .WithValidation(CommandResultValidation.None).ExecuteAsync(CancellationToken.None);
}
