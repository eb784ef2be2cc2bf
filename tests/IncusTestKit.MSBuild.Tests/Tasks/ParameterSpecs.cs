using IncusTestKit.MSBuild.Tasks;
using IncusTestKit.MSBuild.Tests.Infrastructure;
using Microsoft.Build.Utilities;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests.Tasks;

/// <summary>Bad parameters: one error each, with its code and the rule, and nothing sent to the daemon.</summary>
public sealed class ParameterSpecs
{
    private readonly RecordingBuildEngine _engine = new();

    [Fact]
    public void A_mount_without_a_sandbox_path_and_a_mount_with_an_unknown_mode_are_two_errors()
    {
        var task = new IncusSandboxCreate
        {
            BuildEngine = _engine,
            Mounts = [new TaskItem("/tmp"), new TaskItem("/tmp", new Dictionary<string, string> { ["SandboxPath"] = "/data", ["Mode"] = "Sideways" })],
        };

        task.Execute().ShouldBeFalse();

        _engine.Errors.Select(e => e.Code).ShouldBe(["ISB1007", "ISB1007"]);
        _engine.Errors[0].Message!.ShouldContain("SandboxPath");
        _engine.Errors[1].Message!.ShouldContain("Overlay, ReadOnly or ReadWrite");
        _engine.Registered.ShouldBeEmpty(); // No client was made: nothing reached the daemon.
    }

    [Theory]
    [InlineData("Type", "bsd")]
    [InlineData("Network", "internet")]
    [InlineData("Cpu", "two")]
    [InlineData("Processes", "-1")]
    public void An_unknown_value_is_an_error_that_names_the_parameter_and_what_is_allowed(string parameter, string value)
    {
        var task = new IncusSandboxCreate { BuildEngine = _engine };
        typeof(IncusSandboxCreate).GetProperty(parameter)!.SetValue(task, value);

        task.Execute().ShouldBeFalse();

        var error = _engine.Errors.ShouldHaveSingleItem();
        error.Code.ShouldBe("ISB1007");
        error.Message!.ShouldStartWith($"{parameter}=\"{value}\" is not valid: use ");
        _engine.Registered.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("Memory", "2 gigs")]
    [InlineData("Disk", "lots")]
    public void A_size_that_is_not_one_is_an_error_that_names_the_task_parameter_not_the_SDK_option(string parameter, string value)
    {
        var task = new IncusSandboxCreate { BuildEngine = _engine };
        typeof(IncusSandboxCreate).GetProperty(parameter)!.SetValue(task, value);

        task.Execute().ShouldBeFalse();

        var error = _engine.Errors.ShouldHaveSingleItem();
        error.Code.ShouldBe("ISB1007");
        error.Message!.ShouldBe($"{parameter}=\"{value}\" is not valid: write a number with a unit such as 512MiB, 2GiB or 500MB" +
            (parameter == "Memory" ? ", or a percentage such as 25%." : "."));
        _engine.Registered.ShouldBeEmpty(); // refused before any sandbox was asked for
    }

    [Fact]
    public void Exec_needs_a_command_or_arguments_but_not_both()
    {
        new IncusSandboxExec { BuildEngine = _engine, SandboxName = "x" }.Execute().ShouldBeFalse();
        new IncusSandboxExec { BuildEngine = _engine, SandboxName = "x", Command = "true", Arguments = [new TaskItem("true")] }.Execute().ShouldBeFalse();

        _engine.Errors.Select(e => e.Code).ShouldBe(["ISB1008", "ISB1008"]);
        _engine.Errors[0].Message!.ShouldContain("either Command or Arguments");
    }

    [Fact]
    public void Exec_refuses_a_relative_working_directory_a_variable_without_a_value_and_a_timeout_that_is_not_a_time()
    {
        var task = new IncusSandboxExec
        {
            BuildEngine = _engine, SandboxName = "x", Command = "true",
            WorkingDirectory = "src", EnvironmentVariables = ["JUST_A_NAME"], Timeout = "soon",
        };

        task.Execute().ShouldBeFalse();

        _engine.Errors.Select(e => e.Message!.Split('=')[0]).ShouldBe(["EnvironmentVariables", "WorkingDirectory", "Timeout"]);
        _engine.Errors.ShouldAllBe(e => e.Code == "ISB1007");
        _engine.Registered.ShouldBeEmpty();
    }

    [Fact]
    public void Pull_refuses_sources_that_name_no_entry_of_the_destination()
    {
        var task = new IncusSandboxPull { BuildEngine = _engine, SandboxName = "x", Sources = ["/", "..", "logs/."], DestinationFolder = "out" };

        task.Execute().ShouldBeFalse();

        _engine.Errors.Count.ShouldBe(3);
        _engine.Errors.ShouldAllBe(e => e.Code == "ISB1007" && e.Message!.Contains("name a file or folder"));
    }

    [Fact]
    public void Push_needs_a_destination_for_each_source()
    {
        var task = new IncusSandboxPush { BuildEngine = _engine, SandboxName = "x", Sources = [new TaskItem("a.txt")] };

        task.Execute().ShouldBeFalse();

        _engine.Errors.ShouldHaveSingleItem().Code.ShouldBe("ISB1008");
    }

    [Fact]
    public void Push_refuses_a_relative_destination()
    {
        var task = new IncusSandboxPush { BuildEngine = _engine, SandboxName = "x", Sources = [new TaskItem("a.txt")], DestinationFolder = "work" };

        task.Execute().ShouldBeFalse();

        _engine.Errors.ShouldHaveSingleItem().Message!.ShouldContain("absolute path in the sandbox");
    }

    [Fact]
    public void The_repository_root_is_the_nearest_folder_with_a_git_entry_and_its_absence_is_ISB1017()
    {
        var root = Directory.CreateTempSubdirectory("isbt-repo-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "src", "app"));
            var none = new IncusRepositoryRoot { BuildEngine = _engine, StartDirectory = Path.Combine(root, "src", "app") };
            none.Execute().ShouldBeFalse();
            _engine.Errors.ShouldHaveSingleItem().Code.ShouldBe("ISB1017");

            File.WriteAllText(Path.Combine(root, ".git"), "gitdir: elsewhere"); // a worktree's .git is a file
            var found = new IncusRepositoryRoot { BuildEngine = _engine, StartDirectory = Path.Combine(root, "src", "app") };
            found.Execute().ShouldBeTrue();
            found.RepositoryRoot.ShouldBe(root);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
