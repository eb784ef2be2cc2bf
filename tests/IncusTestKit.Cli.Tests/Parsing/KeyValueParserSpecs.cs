using IncusTestKit.Cli.Parsing;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Parsing;

public sealed class KeyValueParserSpecs
{
    [Theory]
    [InlineData("team=payments", "team", "payments")]
    [InlineData("empty=", "empty", "")]
    [InlineData("url=a=b&c=d", "url", "a=b&c=d")]
    [InlineData("spaced= a b ", "spaced", " a b ")]
    public void A_pair_splits_at_its_first_equals_sign(string text, string key, string value) =>
        KeyValueParser.Parse(text, "label", "team=payments").ShouldBe(new KeyValuePair<string, string>(key, value));

    [Theory]
    [InlineData("novalue", "has no '='")]
    [InlineData("=value", "empty key")]
    [InlineData("", "has no '='")]
    public void A_malformed_pair_says_how_to_write_one(string text, string problem)
    {
        var error = Should.Throw<FormatException>(() => KeyValueParser.Parse(text, "label", "team=payments"));

        error.Message.ShouldContain(problem);
        error.Message.ShouldContain("label");
        error.Message.ShouldContain("team=payments");
    }

    [Fact]
    public void A_key_given_twice_keeps_its_last_value() =>
        KeyValueParser.ParseAll(["a=1", "b=2", "a=3"], "label", "team=payments")
            .ShouldBe(new Dictionary<string, string> { ["a"] = "3", ["b"] = "2" });

    [Fact]
    public void A_bare_environment_name_passes_on_the_hosts_value()
    {
        var host = new Dictionary<string, string> { ["HOME_DIR"] = "/home/me" };

        var environment = KeyValueParser.ParseEnvironment(["HOME_DIR", "MODE=test"], host.GetValueOrDefault);

        environment.ShouldBe(new Dictionary<string, string> { ["HOME_DIR"] = "/home/me", ["MODE"] = "test" });
    }

    [Fact]
    public void A_bare_environment_name_that_is_not_set_here_is_an_error() =>
        Should.Throw<FormatException>(() => KeyValueParser.ParseEnvironment(["NOT_SET_ANYWHERE"], _ => null))
            .Message.ShouldContain("NOT_SET_ANYWHERE=VALUE");
}
