using IncusTestKit.Errors;
using IncusTestKit.Sandboxes;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

public sealed class SandboxNamesSpecs
{
    [Fact]
    public void Generated_names_are_valid_hostnames_and_do_not_repeat()
    {
        var names = Enumerable.Range(0, 1000).Select(_ => SandboxNames.Generate()).ToList();

        names.ShouldAllBe(n => System.Text.RegularExpressions.Regex.IsMatch(n, "^sandbox-[a-z0-9]{10}$"));
        names.Distinct().Count().ShouldBe(names.Count);
        names.ShouldAllBe(n => SandboxNames.Problem(n) == null);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("my-sandbox-1")]
    [InlineData("ABC-123")]
    public void Valid_names_pass(string name) => SandboxNames.Problem(name).ShouldBeNull();

    [Theory]
    [InlineData("", "1 to 63")]
    [InlineData("-a", "hyphen")]
    [InlineData("a-", "hyphen")]
    [InlineData("123", "all digits")]
    [InlineData("a_b", "letters, digits and hyphens")]
    [InlineData("a/b", "letters, digits and hyphens")]
    [InlineData("ünï", "letters, digits and hyphens")]
    public void Invalid_names_say_which_rule_they_break(string name, string rule)
    {
        SandboxNames.Problem(name).ShouldNotBeNull().ShouldContain(rule);
        Should.Throw<InvalidNameException>(() => SandboxNames.Validate(name)).Code.ShouldBe(SandboxErrorCode.InvalidName);
    }

    [Fact]
    public void A_name_longer_than_63_characters_is_refused() =>
        SandboxNames.Problem(new string('a', 64)).ShouldNotBeNull();
}
