using IncusTestKit.Cli.Parsing;
using IncusTestKit.Mounts;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Parsing;

public sealed class MountSpecParserSpecs
{
    [Theory]
    [InlineData("/srv/app:/work", "/srv/app", "/work", MountMode.Overlay)]
    [InlineData("/srv/app:/work:overlay", "/srv/app", "/work", MountMode.Overlay)]
    [InlineData("/srv/app:/work:readonly", "/srv/app", "/work", MountMode.ReadOnly)]
    [InlineData("/srv/app:/work:ro", "/srv/app", "/work", MountMode.ReadOnly)]
    [InlineData("/srv/app:/work:readwrite", "/srv/app", "/work", MountMode.ReadWrite)]
    [InlineData("/srv/app:/work:RW", "/srv/app", "/work", MountMode.ReadWrite)]
    public void A_spec_gives_source_target_and_mode(string text, string source, string target, MountMode mode) =>
        MountSpecParser.Parse(text).ShouldBe(new MountOptions(source, target) { Mode = mode });

    [Theory]
    [InlineData("/:/host:ro,force", MountMode.ReadOnly)]
    [InlineData("/:/host:force", MountMode.Overlay)]
    [InlineData("/:/host:RW,Force", MountMode.ReadWrite)]
    public void Force_after_the_mode_allows_a_system_folder(string text, MountMode mode) =>
        MountSpecParser.Parse(text).ShouldBe(new MountOptions("/", "/host") { Mode = mode, AllowDangerousSource = true });

    [Theory]
    [InlineData("src:/work", "/home/me/project/src")]
    [InlineData("./src:/work", "/home/me/project/src")]
    [InlineData("../data:/data", "/home/me/data")]
    [InlineData(".:/work", "/home/me/project")]
    public void A_relative_source_is_made_absolute_from_the_base_directory(string text, string source) =>
        MountSpecParser.Parse(text, "/home/me/project").Source.ShouldBe(source);

    [Fact]
    public void A_relative_source_defaults_to_the_current_directory() =>
        MountSpecParser.Parse("src:/work").Source.ShouldBe(Path.Combine(Environment.CurrentDirectory, "src"));

    [Theory]
    [InlineData("/srv/app", "SRC:TARGET[:MODE]")]
    [InlineData("/a:/b:ro:extra", "SRC:TARGET[:MODE]")]
    [InlineData(":/work", "no host folder")]
    [InlineData("/srv/app:work", "absolute target")]
    [InlineData("/srv/app:", "absolute target")]
    [InlineData("/srv/app:/work:rwx", "unknown mode 'rwx'")]
    [InlineData("/srv/app:/work:ro,rw", "unknown mode 'ro,rw'")]
    [InlineData("/srv/app:/work:force,ro", "unknown mode 'force,ro'")]
    public void A_malformed_spec_says_what_is_wrong(string text, string problem)
    {
        var error = Should.Throw<FormatException>(() => MountSpecParser.Parse(text));

        error.Message.ShouldContain(problem);
        error.Message.ShouldContain($"'{text}'");
    }

    [Theory]
    [InlineData("overlay", MountMode.Overlay)]
    [InlineData("ro", MountMode.ReadOnly)]
    [InlineData("ReadOnly", MountMode.ReadOnly)]
    [InlineData("rw", MountMode.ReadWrite)]
    public void A_mode_word_is_read(string text, MountMode mode) => MountSpecParser.ParseMode(text).ShouldBe(mode);

    [Fact]
    public void An_unknown_mode_lists_the_known_ones() =>
        Should.Throw<FormatException>(() => MountSpecParser.ParseMode("copy")).Message.ShouldContain("overlay, readonly (ro) or readwrite (rw)");
}
