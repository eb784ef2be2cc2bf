using IncusTestKit.Client;
using IncusTestKit.Errors;
using Shouldly;

namespace IncusTestKit.Tests.Client;

/// <summary>The daemon's answers (texts observed on Incus 6.0.4) become typed errors in one place.</summary>
public sealed class IncusErrorMapperSpecs
{
    private static readonly IncusErrorContext Context = new("Creating sandbox 'web'", "default") { Instance = "web", Image = "isb/busybox" };

    [Theory]
    [InlineData(404, "Failed to fetch instance \"web\" in project \"default\": Instance not found", typeof(SandboxNotFoundException))]
    [InlineData(500, "Image not provided for instance creation", typeof(ImageNotFoundException))]
    [InlineData(404, "Image alias not found", typeof(ImageNotFoundException))]
    [InlineData(500, "Failed getting remote image info: Failed getting image: no such host", typeof(ImageNotFoundException))]
    [InlineData(500, "Failed creating instance record: Add instance info to the database: Failed to create \"instances\" entry: UNIQUE constraint failed: instances.project_id, instances.name", typeof(NameConflictException))]
    [InlineData(409, "Name \"web\" already in use", typeof(NameConflictException))]
    [InlineData(500, "Failed creating instance record: Instance is busy running a \"create\" operation", typeof(NameConflictException))]
    [InlineData(400, "Invalid instance name: Name can only contain alphanumeric and hyphen characters", typeof(InvalidNameException))]
    [InlineData(400, "Instance is not running", typeof(SandboxNotRunningException))]
    [InlineData(400, "Instance is frozen", typeof(SandboxNotRunningException))]
    [InlineData(500, "context deadline exceeded", typeof(SandboxTimeoutException))]
    [InlineData(400, "Command not found", typeof(CommandFailedException))]
    public void Daemon_answers_map_to_typed_errors(int code, string message, Type expected)
    {
        var error = IncusErrorMapper.Map(code, message, Context);

        error.ShouldBeOfType(expected);
        error.DaemonMessage.ShouldBe(message);
    }

    [Fact]
    public void An_unknown_configuration_key_is_a_configuration_error() =>
        IncusErrorMapper.Map(500, "Failed creating instance record: Unknown configuration key: bogus.key", Context)
            .Code.ShouldBe(SandboxErrorCode.InvalidConfiguration);

    [Fact]
    public void A_missing_path_is_path_not_found_when_a_path_was_involved() =>
        IncusErrorMapper.Map(404, "Not Found", Context with { Path = "/etc/nope" })
            .ShouldBeOfType<PathNotFoundException>().Message.ShouldContain("/etc/nope");

    [Theory]
    [InlineData(404, "Failed to fetch snapshot \"s1\" of instance \"web\" in project \"default\": Instance_snapshot not found", typeof(SnapshotNotFoundException))]
    [InlineData(500, "Snapshot web/s1 does not exist", typeof(SnapshotNotFoundException))]
    [InlineData(500, "Failed creating instance snapshot record \"s1\": Add snapshot info to the database: Failed to create \"instances_snapshots\" entry: UNIQUE constraint failed: instances_snapshots.instance_id, instances_snapshots.name", typeof(NameConflictException))]
    [InlineData(500, "Failed creating instance snapshot record \"a b\": Invalid instance snapshot name: Cannot contain space or / characters", typeof(InvalidNameException))]
    [InlineData(404, "Failed to fetch instance \"web\" in project \"default\": Instance not found", typeof(SandboxNotFoundException))]
    public void Snapshot_answers_map_to_typed_errors_that_name_the_snapshot(int code, string message, Type expected)
    {
        var error = IncusErrorMapper.Map(code, message, Context with { Snapshot = "s1" });

        error.ShouldBeOfType(expected);
        if (expected != typeof(SandboxNotFoundException) && expected != typeof(InvalidNameException))
            error.Message.ShouldContain("'s1'");
    }

    [Fact]
    public void Anything_else_is_an_operation_failure_that_keeps_the_daemons_words()
    {
        var error = IncusErrorMapper.Map(500, "something new went wrong", Context);

        error.Code.ShouldBe(SandboxErrorCode.OperationFailed);
        error.Message.ShouldContain("Creating sandbox 'web' failed: something new went wrong");
    }

    [Fact]
    public void Errors_say_what_to_do()
    {
        IncusErrorMapper.Map(404, "Instance not found", Context).Message.ShouldContain("dotnet isb list");
        IncusErrorMapper.Map(409, "Name \"web\" already in use", Context).Message.ShouldContain("dotnet isb destroy web");
        IncusErrorMapper.Map(400, "Instance is not running", Context).Message.ShouldContain("dotnet isb start web");
    }
}
