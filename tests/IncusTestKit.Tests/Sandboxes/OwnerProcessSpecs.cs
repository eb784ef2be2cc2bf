using System.Globalization;
using CliWrap;
using IncusTestKit.Sandboxes;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>The owner label: written and read back exactly, and judged gone only when that is certain (on this machine's /proc).</summary>
public sealed class OwnerProcessSpecs
{
    private static OwnerProcess Self => OwnerProcess.Current ?? throw new InvalidOperationException("These specs need Linux /proc.");

    [Fact]
    public void The_current_owner_is_this_process_with_its_start_time_and_boot()
    {
        Self.Pid.ShouldBe(Environment.ProcessId);
        var stat = File.ReadAllText("/proc/self/stat");
        Self.StartTime.ShouldBe(long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture));
        Self.BootId.ShouldBe(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim());
        Self.Host.ShouldBe(Environment.MachineName);
        OwnerProcess.CurrentValue.ShouldBe(Self.ToString());
    }

    [Fact]
    public void A_label_reads_back_as_the_owner_it_was_written_from()
    {
        var owner = new OwnerProcess("ci-7", "0123abcd", "6b1a8c1e-2f5d-4d0e-9a43-1c2d3e4f5a6b", "4026531836", 4242, 987654);

        owner.ToString().ShouldBe("host=ci-7;machine=0123abcd;boot=6b1a8c1e-2f5d-4d0e-9a43-1c2d3e4f5a6b;pidns=4026531836;pid=4242;start=987654");
        OwnerProcess.TryParse(owner.ToString()).ShouldBe(owner);
        OwnerProcess.TryParse(Self.ToString()).ShouldBe(Self);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("4242")]
    [InlineData("host=a;machine=b;boot=c;pidns=d;pid=4242")]
    [InlineData("host=a;machine=b;boot=c;pidns=d;pid=4242;start=1;extra=2")]
    [InlineData("host=a;machine=b;boot=c;pidns=d;pid=-1;start=1")]
    [InlineData("host=a;machine=b;boot=c;pidns=d;pid=0;start=1")]
    [InlineData("host=a;machine=b;boot=c;pidns=d;pid=x;start=1")]
    [InlineData("host=;machine=b;boot=c;pidns=d;pid=1;start=1")]
    [InlineData("host=a;host=a;boot=c;pidns=d;pid=1;start=1")]
    public void A_label_this_version_did_not_write_is_no_owner(string? value) =>
        OwnerProcess.TryParse(value).ShouldBeNull();

    [Theory]
    [InlineData("1234 (dotnet) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 8 0 98765 1000 50", 98765L)]
    [InlineData("1234 (a) b (c) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 8 0 555 1000 50", 555L)]
    [InlineData("1234 (sh) Z 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 8 0 98765 1000 50", null)]
    [InlineData("1234 (sh) S 1 2", null)]
    [InlineData("garbage", null)]
    public void The_start_time_is_field_22_counted_after_the_command_name(string stat, long? start) =>
        OwnerProcess.ParseStartTime(stat).ShouldBe(start);

    [Fact]
    public async Task A_live_process_is_not_gone_and_an_ended_one_is()
    {
        using var stop = new CancellationTokenSource();
        var sleeper = Cli.Wrap("sleep").WithArguments("60").WithValidation(CommandResultValidation.None).ExecuteAsync(stop.Token);
        var owner = OwnerProcess.Read(sleeper.ProcessId).ShouldNotBeNull();

        owner.IsGone().ShouldBeFalse();
        (owner with { StartTime = owner.StartTime + 1 }).Verdict().ShouldBe($"its owner, process {owner.Pid}, has ended (the pid now belongs to a later process)");

        await stop.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => sleeper.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        owner.Verdict().ShouldBe($"its owner, process {owner.Pid}, has ended");
    }

    [Fact]
    public void This_process_is_not_gone() => Self.IsGone().ShouldBeFalse();

    [Fact]
    public void An_owner_of_an_earlier_boot_of_this_machine_is_gone() =>
        (Self with { BootId = "00000000-0000-0000-0000-000000000000" }).Verdict().ShouldBe($"its owner, process {Self.Pid}, ran before this machine last booted");

    [Fact]
    public void An_owner_on_another_machine_or_in_another_pid_namespace_is_never_judged_gone()
    {
        var ended = Self with { Pid = int.MaxValue - 1 };
        ended.IsGone().ShouldBeTrue();

        (ended with { Host = "elsewhere" }).IsGone().ShouldBeFalse();
        (ended with { MachineId = "another-machine" }).IsGone().ShouldBeFalse();
        (ended with { Host = "elsewhere", BootId = "another-boot" }).IsGone().ShouldBeFalse();
        (ended with { PidNamespace = "1" }).IsGone().ShouldBeFalse();
    }
}
