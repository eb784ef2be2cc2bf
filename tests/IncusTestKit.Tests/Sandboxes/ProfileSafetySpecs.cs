using IncusTestKit.Client.Models;
using IncusTestKit.Sandboxes;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

/// <summary>Which profile settings count as unsafe, and which profile is named for them.</summary>
public sealed class ProfileSafetySpecs
{
    private static Profile P(string name, params (string Key, string Value)[] config) =>
        new() { Name = name, Config = config.ToDictionary(c => c.Key, c => c.Value) };

    [Theory]
    [InlineData("security.privileged", "true")]
    [InlineData("security.privileged", "1")]
    [InlineData("security.privileged", "YES")]
    [InlineData("security.nesting", "on")]
    [InlineData("raw.lxc", "lxc.apparmor.profile=unconfined")]
    [InlineData("raw.idmap", "both 1000 0")]
    [InlineData("raw.apparmor", "mount,")]
    [InlineData("raw.seccomp", "2\nallowlist\n")]
    [InlineData("raw.qemu", "-device foo")]
    public void An_unsafe_setting_is_found_with_its_profile(string key, string value) =>
        ProfileSafety.Check([P("default"), P("ci", (key, value))]).ShouldBe([new ProfileSafety.Finding("ci", key, value)]);

    [Theory]
    [InlineData("security.privileged", "false")]
    [InlineData("security.nesting", "")]
    [InlineData("raw.lxc", "  ")]
    [InlineData("security.idmap.isolated", "true")]
    [InlineData("limits.processes", "100")]
    public void Safe_settings_are_not(string key, string value) =>
        ProfileSafety.Check([P("ci", (key, value))]).ShouldBeEmpty();

    [Fact]
    public void A_later_profile_overrides_an_earlier_one_and_is_the_one_named()
    {
        ProfileSafety.Check([P("a", ("security.privileged", "true")), P("b", ("security.privileged", "false"))]).ShouldBeEmpty();
        ProfileSafety.Check([P("a", ("security.privileged", "false")), P("b", ("security.privileged", "true"))])
            .ShouldHaveSingleItem().Profile.ShouldBe("b");
    }

    [Fact]
    public void The_refusal_names_the_profile_the_key_and_both_fixes()
    {
        var error = ProfileSafety.Refusal([new ProfileSafety.Finding("ci", "security.nesting", "true")], "box");

        error.Profile.ShouldBe("ci");
        error.Key.ShouldBe("security.nesting");
        error.Message.ShouldContain("security.nesting=true (profile 'ci')");
        error.Message.ShouldContain("incus profile unset ci security.nesting");
        error.Message.ShouldContain("AllowUnsafeProfiles (--allow-unsafe-profiles)");
    }
}
