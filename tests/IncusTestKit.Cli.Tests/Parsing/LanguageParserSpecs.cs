using IncusTestKit.Cli.Parsing;
using IncusTestKit.Exec;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Parsing;

public sealed class LanguageParserSpecs
{
    [Theory]
    [InlineData("python", CodeLanguage.Python)]
    [InlineData("py", CodeLanguage.Python)]
    [InlineData("Python3", CodeLanguage.Python)]
    [InlineData("node", CodeLanguage.Node)]
    [InlineData("js", CodeLanguage.Node)]
    [InlineData("javascript", CodeLanguage.Node)]
    [InlineData("bash", CodeLanguage.Bash)]
    [InlineData("sh", CodeLanguage.Bash)]
    [InlineData("ruby", CodeLanguage.Ruby)]
    [InlineData("rb", CodeLanguage.Ruby)]
    [InlineData("go", CodeLanguage.Go)]
    public void Names_and_aliases_are_accepted_in_any_case(string name, CodeLanguage language) =>
        LanguageParser.Parse(name).ShouldBe(language);

    [Fact]
    public void An_unknown_language_lists_the_known_ones() =>
        Should.Throw<FormatException>(() => LanguageParser.Parse("cobol")).Message.ShouldContain("python (py, python3)");

    [Theory]
    [InlineData("script.py", CodeLanguage.Python)]
    [InlineData("dir/app.mjs", CodeLanguage.Node)]
    [InlineData("build.SH", CodeLanguage.Bash)]
    [InlineData("task.rb", CodeLanguage.Ruby)]
    [InlineData("main.go", CodeLanguage.Go)]
    public void A_file_extension_implies_the_language(string path, CodeLanguage language) =>
        LanguageParser.FromFileName(path).ShouldBe(language);

    [Fact]
    public void An_unknown_extension_implies_nothing() => LanguageParser.FromFileName("notes.txt").ShouldBeNull();
}
