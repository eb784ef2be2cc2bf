using System.Globalization;
using IncusTestKit.Sandboxes;
using IncusTestKit.Sharing;
using Shouldly;

namespace IncusTestKit.Tests.Sharing;

/// <summary>Who still holds a shared sandbox: a live holder always counts, a gone one never, one nobody here can judge until the time-to-live ends.</summary>
public sealed class SharedHoldersSpecs
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly OwnerProcess Self = OwnerProcess.Current!;
    private static readonly string Ended = (Self with { Pid = int.MaxValue - 1 }).ToString();
    private static readonly string Elsewhere = (Self with { Host = "another-host" }).ToString();

    [Fact]
    public void A_live_holder_keeps_it_even_past_its_time_to_live()
    {
        var holders = SharedHolders.Of(Config(expired: true, Self.ToString(), Ended), Now);

        holders.Live.ShouldBe(1);
        holders.LeftoverReason().ShouldBeNull();
    }

    [Fact]
    public void Holders_that_have_all_ended_leave_a_leftover_named_with_their_pids()
    {
        var holders = SharedHolders.Of(Config(expired: false, Ended, (Self with { BootId = "00000000-0000-0000-0000-000000000000", Pid = 7 }).ToString()), Now);

        holders.LeftoverReason().ShouldBe($"it was shared, and every process that held it has ended (7, {int.MaxValue - 1})");
    }

    [Fact]
    public void A_holder_this_machine_cannot_judge_counts_until_the_time_to_live_ends()
    {
        SharedHolders.Of(Config(expired: false, Elsewhere, SharedLabels.UnknownHolder), Now).Live.ShouldBe(2);

        var expired = SharedHolders.Of(Config(expired: true, Elsewhere, Ended), Now);

        expired.Live.ShouldBe(0);
        expired.LeftoverReason().ShouldBe("it was shared, its time-to-live has ended, and no process that holds it is seen alive on this machine");
    }

    [Fact]
    public void The_callers_own_lease_and_released_leases_do_not_count()
    {
        var config = Config(expired: false, Self.ToString());
        config[SharedLabels.LeasePrefix + "released"] = "";

        SharedHolders.Of(config, Now, exceptLease: SharedLabels.LeasePrefix + "0").Live.ShouldBe(0);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("soon", true)]
    [InlineData("-60", true)]
    [InlineData("+60", false)]
    public void A_missing_or_unreadable_expiry_counts_as_past(string? expires, bool expired)
    {
        var value = expires switch
        {
            "-60" => (Now.ToUnixTimeSeconds() - 60).ToString(CultureInfo.InvariantCulture),
            "+60" => (Now.ToUnixTimeSeconds() + 60).ToString(CultureInfo.InvariantCulture),
            _ => expires,
        };
        var config = new Dictionary<string, string>(StringComparer.Ordinal);
        if (value is not null)
            config[SharedLabels.Expires] = value;

        SharedHolders.IsExpired(config, Now).ShouldBe(expired);
    }

    private static Dictionary<string, string> Config(bool expired, params string[] holders)
    {
        var config = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SharedLabels.Expires] = (Now.ToUnixTimeSeconds() + (expired ? -60 : 3600)).ToString(CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < holders.Length; i++)
            config[SharedLabels.LeasePrefix + i.ToString(CultureInfo.InvariantCulture)] = holders[i];
        return config;
    }
}
