using IncusTestKit.Client;
using IncusTestKit.Files;
using Shouldly;

namespace IncusTestKit.Tests.Files;

/// <summary>The pure rules a pull applies to what the daemon says: which names are entries, and where a symlink leads.</summary>
public sealed class TreeNameSpecs
{
    [Theory]
    [InlineData("/out", "/out", "/out/f", "f")]
    [InlineData("/out", "/out/a", "/out/f", "../f")]
    [InlineData("/out", "/out/a/b", "/out/a/b/c", "c")]
    [InlineData("/out", "/out", "/out", ".")]
    [InlineData("/out", "/out/a", "/out/a/../a/./x", "x")]
    [InlineData("/out", "/out/a", "../b", "../b")]
    [InlineData("/", "/x", "/etc/passwd", "../etc/passwd")]
    public void A_link_that_stays_inside_the_tree_becomes_relative(string root, string linkDirectory, string target, string expected) =>
        TreePull.RelativeInside(root, linkDirectory, target).ShouldBe(expected);

    [Theory]
    [InlineData("/out", "/out", "/etc")]
    [InlineData("/out", "/out", "/")]
    [InlineData("/out", "/out", "/outside")]
    [InlineData("/out", "/out/a/b", "/out/../etc")]
    [InlineData("/out", "/out/a", "../../etc")]
    [InlineData("/out", "/out", "..")]
    [InlineData("/out", "/out/a", "../../../../../../out/../etc")]
    public void A_link_that_leaves_the_tree_has_no_inside_target(string root, string linkDirectory, string target) =>
        TreePull.RelativeInside(root, linkDirectory, target).ShouldBeNull();

    [Theory]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a/b", false)]
    [InlineData("/etc", false)]
    [InlineData("../x", false)]
    [InlineData("nul\0l", false)]
    [InlineData("...", true)]
    [InlineData("..a", true)]
    [InlineData(" ..", true)]
    [InlineData("new\nline", true)]
    [InlineData("a\\b", true)]
    public void Only_a_plain_name_is_an_entry_name(string name, bool accepted) =>
        FilesApi.IsEntryName(name).ShouldBe(accepted);
}
