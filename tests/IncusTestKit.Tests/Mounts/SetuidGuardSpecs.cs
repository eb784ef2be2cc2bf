using IncusTestKit.Mounts;
using Shouldly;

namespace IncusTestKit.Tests.Mounts;

/// <summary>The setuid rule's deny list, as it merges with what profiles set (pure logic; the rule itself is proved in MountSafetySpecs).</summary>
public sealed class SetuidGuardSpecs
{
    [Fact]
    public void A_profiles_deny_list_is_kept_and_the_rules_follow_it_once()
    {
        var merged = SetuidGuard.Merge("keyctl errno 38\n");

        merged.ShouldStartWith("keyctl errno 38\nchmod errno 1 [1,2048,SCMP_CMP_MASKED_EQ,2048]\n");
        SetuidGuard.Merge(merged).ShouldBe(merged);
        SetuidGuard.Merge(null).ShouldBe(SetuidGuard.Merge(""));
    }

    [Fact]
    public void Every_call_that_can_set_either_bit_is_denied()
    {
        var rules = SetuidGuard.Merge(null).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        foreach (var (call, argument) in new[] { ("chmod", 1), ("fchmod", 1), ("fchmodat", 2), ("fchmodat2", 2), ("open", 2), ("openat", 3), ("creat", 1), ("mknod", 1), ("mknodat", 2) })
        {
            rules.ShouldContain($"{call} errno 1 [{argument},2048,SCMP_CMP_MASKED_EQ,2048]");
            rules.ShouldContain($"{call} errno 1 [{argument},1024,SCMP_CMP_MASKED_EQ,1024]");
        }
        rules.ShouldContain("openat2 errno 38");
        rules.ShouldContain("io_uring_setup errno 38");
    }

    [Theory]
    [InlineData("security.syscalls.allow", "read\nwrite\n")]
    [InlineData("raw.seccomp", "2\nallowlist\n")]
    public void A_config_that_replaces_the_deny_list_does_not_guard(string key, string value)
    {
        var config = new Dictionary<string, string> { [SetuidGuard.ConfigKey] = SetuidGuard.Merge(null) };
        SetuidGuard.Guards(config).ShouldBeTrue();

        config[key] = value;

        SetuidGuard.Guards(config).ShouldBeFalse();
        SetuidGuard.IsReplaced(config).ShouldBeTrue();
    }
}
