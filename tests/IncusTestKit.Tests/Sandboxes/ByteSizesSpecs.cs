using IncusTestKit.Shared;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

public sealed class ByteSizesSpecs
{
    [Theory]
    [InlineData("512MiB")]
    [InlineData("2GiB")]
    [InlineData("500MB")]
    [InlineData("1048576")]
    [InlineData("1.5GiB")]
    public void Sizes_in_incus_units_pass(string size) => ByteSizes.Validate(size, "Limits.Memory", allowPercent: false).ShouldBe(size);

    [Fact]
    public void A_percentage_passes_only_where_allowed()
    {
        ByteSizes.Validate("25%", "Limits.Memory", allowPercent: true).ShouldBe("25%");
        Should.Throw<ArgumentException>(() => ByteSizes.Validate("25%", "Limits.Disk", allowPercent: false));
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("512 MiB")]
    [InlineData("-1GiB")]
    [InlineData("1XB")]
    public void Anything_else_is_refused_with_an_example(string size) =>
        Should.Throw<ArgumentException>(() => ByteSizes.Validate(size, "Limits.Memory", allowPercent: true)).Message.ShouldContain("512MiB");
}
