using IncusTestKit.Cli.Parsing;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Parsing;

public sealed class DurationParserSpecs
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("2s", 2_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h2m3s4ms", 3_723_004)]
    [InlineData("1.5s", 1_500)]
    [InlineData("10", 10_000)]
    [InlineData("0.25", 250)]
    [InlineData("0", 0)]
    [InlineData(" 2S ", 2_000)]
    public void Durations_read_as_people_write_them(string text, long milliseconds) =>
        DurationParser.Parse(text).ShouldBe(TimeSpan.FromMilliseconds(milliseconds));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("s")]
    [InlineData("5x")]
    [InlineData("-1")]
    [InlineData("-2s")]
    [InlineData("1.2.3s")]
    [InlineData("30s1m")]
    [InlineData("1m1m")]
    [InlineData("5 s")]
    [InlineData("ten")]
    [InlineData("99999999999999d")]
    public void Anything_else_is_refused_with_a_message_that_shows_the_format(string text)
    {
        DurationParser.TryParse(text, out _).ShouldBeFalse();

        var error = Should.Throw<FormatException>(() => DurationParser.Parse(text));
        error.Message.ShouldContain("500ms");
        error.Message.ShouldContain("bare number is seconds");
    }

    [Fact]
    public void Null_is_not_a_duration() => DurationParser.TryParse(null, out _).ShouldBeFalse();
}
