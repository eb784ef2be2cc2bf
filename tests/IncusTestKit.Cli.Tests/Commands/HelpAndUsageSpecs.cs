using CliWrap.Buffered;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary>What a person sees before anything reaches the daemon: help with examples, and command-line mistakes as one error.</summary>
[Trait("Category", IsbTool.NativeSubset)]
public sealed class HelpAndUsageSpecs
{
    private static readonly string[] AllVerbs = ["create", "destroy", "list", "info", "start", "stop", "restart", "exec", "run", "gc"];

    public static TheoryData<string> Verbs => new(AllVerbs);

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task Every_verb_has_a_description_and_examples_in_its_help(string verb)
    {
        var result = await IsbTool.RunAsync(verb, "--help");

        result.ExitCode.ShouldBe(0);
        result.StandardOutput.ShouldContain("Description:");
        result.StandardOutput.ShouldContain("Examples:");
        result.StandardOutput.ShouldContain($"dotnet isb {verb} ");
        result.StandardOutput.ShouldContain("--project");
        result.StandardOutput.ShouldContain("--socket");
    }

    [Fact]
    public async Task Without_a_verb_the_tool_shows_the_overview()
    {
        var result = await IsbTool.RunAsync();

        result.StandardOutput.ShouldContain("Commands:");
        foreach (var verb in AllVerbs)
            result.StandardOutput.ShouldContain($"  {verb} ");
    }

    [Fact]
    public async Task A_mistyped_verb_is_one_error_with_a_suggestion()
    {
        var result = await IsbTool.RunAsync("lsit");

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: Unrecognized command or argument 'lsit'");
        result.StandardError.ShouldContain("hint: Did you mean 'list'?");
        result.StandardOutput.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("5x")]
    [InlineData("1m1m")]
    [InlineData("0")]
    public async Task A_bad_duration_is_refused_before_anything_is_created(string duration)
    {
        var result = await IsbTool.RunAsync("create", TestNames.New("never"), "--timeout", duration);

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: --timeout: ");
        result.StandardError.ShouldContain("hint: See: dotnet isb create --help");
    }

    [Theory]
    [InlineData("--type", "box", "container or vm")]
    [InlineData("--state", "sleeping", "running, stopped, frozen or error")]
    public async Task A_bad_list_filter_names_the_accepted_values(string option, string value, string accepted)
    {
        var result = await IsbTool.RunAsync("list", option, value);

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldContain(accepted);
    }

    [Fact]
    public async Task Exec_needs_exactly_one_command()
    {
        var none = await IsbTool.RunAsync("exec", "some-box");
        var both = await IsbTool.RunAsync("exec", "some-box", "--sh", "true", "--", "true");

        none.ExitCode.ShouldBe(1);
        none.StandardError.ShouldContain("No command");
        both.ExitCode.ShouldBe(1);
        both.StandardError.ShouldContain("not both");
    }

    [Fact]
    public async Task An_unknown_language_is_refused_with_the_known_ones()
    {
        var result = await IsbTool.RunAsync("run", "some-box", "--language", "cobol", "--code", "x");

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldContain("Unknown language 'cobol'");
        result.StandardError.ShouldContain("python (py, python3)");
    }

    [Fact]
    public async Task A_missing_socket_is_a_clear_unavailable_error_everywhere()
    {
        var viaOption = await IsbTool.RunAsync("list", "--socket", "/nonexistent/unix.socket");
        var viaEnvironment = await IsbTool.Command("info", "some-box")
            .WithEnvironmentVariables(e => e.Set("INCUS_SOCKET", "/nonexistent/unix.socket").Set("INCUS_REMOTE", null))
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        foreach (var result in new[] { viaOption, viaEnvironment })
        {
            result.ExitCode.ShouldBe(1);
            result.StandardError.ShouldStartWith("error: The Incus socket /nonexistent/unix.socket does not exist");
            result.StandardError.ShouldContain("hint: ");
            result.StandardError.ShouldNotContain("   at ");
        }
    }

    [Fact]
    public async Task An_unknown_remote_is_a_clear_error()
    {
        var result = await IsbTool.Command("list", "--remote", "isbt-no-such-remote")
            .WithEnvironmentVariables(e => e.Set("INCUS_CONF", Path.GetTempPath()))
            .ExecuteBufferedAsync(TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(1);
        result.StandardError.ShouldStartWith("error: Incus remote 'isbt-no-such-remote' is not configured");
    }
}
