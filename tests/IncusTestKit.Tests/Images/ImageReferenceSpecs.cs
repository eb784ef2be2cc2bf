using IncusTestKit.Errors;
using IncusTestKit.Images;
using Shouldly;

namespace IncusTestKit.Tests.Images;

public sealed class ImageReferenceSpecs
{
    [Theory]
    [InlineData("isb/busybox", null, "isb/busybox")]
    [InlineData("3f2a9c", null, "3f2a9c")]
    [InlineData("images:debian/12", "images", "debian/12")]
    [InlineData("local:isb/debian12", "local", "isb/debian12")]
    [InlineData("  isb/busybox  ", null, "isb/busybox")]
    public void References_split_into_remote_and_name(string text, string? remote, string name)
    {
        var reference = ImageReference.Parse(text);

        reference.Remote.ShouldBe(remote);
        reference.Name.ShouldBe(name);
    }

    [Fact]
    public void Local_is_the_remote_when_none_or_local_is_named()
    {
        ImageReference.Parse("isb/busybox").IsLocal.ShouldBeTrue();
        ImageReference.Parse("local:isb/busybox").IsLocal.ShouldBeTrue();
        ImageReference.Parse("images:debian/12").IsLocal.ShouldBeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(":debian/12")]
    [InlineData("images:")]
    public void Incomplete_references_are_image_not_found_with_an_example(string text) =>
        Should.Throw<ImageNotFoundException>(() => ImageReference.Parse(text)).Message.ShouldContain("isb/busybox");

    [Fact]
    public void A_reference_prints_as_it_was_written() => ImageReference.Parse("images:debian/12").ToString().ShouldBe("images:debian/12");
}
