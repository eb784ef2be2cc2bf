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
    [InlineData(500, "Failed creating instance record: Instance is busy running a \"start\" operation", typeof(NameConflictException))]
    [InlineData(400, "Invalid instance name: Name can only contain alphanumeric and hyphen characters", typeof(InvalidNameException))]
    [InlineData(400, "Instance is not running", typeof(SandboxNotRunningException))]
    [InlineData(400, "Instance is frozen", typeof(SandboxNotRunningException))]
    [InlineData(500, "context deadline exceeded", typeof(SandboxTimeoutException))]
    [InlineData(400, "Command not found", typeof(CommandFailedException))]
    [InlineData(500, "Failed shutting down instance, status is \"Running\": context deadline exceeded", typeof(SandboxTimeoutException))]
    [InlineData(500, "Failed to create file: no space left on device", typeof(ResourceLimitException))]
    public void Daemon_answers_map_to_typed_errors(int code, string message, Type expected)
    {
        var error = IncusErrorMapper.Map(code, message, Context);

        error.ShouldBeOfType(expected);
        error.DaemonMessage.ShouldBe(message);
    }

    // Texts of Incus 6.0.4 for a create with ?target=: a 404 for an unknown member must not read as a missing instance.
    [Theory]
    [InlineData(404, "Cluster member \"node9\" not found", nameof(DaemonCondition.TargetNotFound))]
    [InlineData(400, "Cluster group \"gpu\" doesn't exist", nameof(DaemonCondition.TargetNotFound))]
    [InlineData(500, "Couldn't find a cluster member for the instance", nameof(DaemonCondition.TargetNotFound))]
    [InlineData(400, "Target only allowed when clustered", nameof(DaemonCondition.NotClustered))]
    public void A_refused_cluster_target_is_an_invalid_target_error(int code, string message, string condition)
    {
        var error = IncusErrorMapper.Map(code, message, Context with { Target = "node9" });

        error.Condition.ToString().ShouldBe(condition);
        error.Code.ShouldBe(SandboxErrorCode.InvalidTarget);
        error.Message.ShouldContain("'node9'");
    }

    // What the SDK acts on without a type of its own (a start of a running sandbox is done, a busy one is retried, ...):
    // decided here, so no call site reads the daemon's words.
    [Theory]
    [InlineData(400, "The instance is already running", nameof(DaemonCondition.AlreadyRunning))]
    [InlineData(400, "The instance is already stopped", nameof(DaemonCondition.AlreadyStopped))]
    [InlineData(400, "Instance is busy running a \"start\" operation", nameof(DaemonCondition.Busy))]
    [InlineData(400, "Instance is running", nameof(DaemonCondition.StillRunning))]
    [InlineData(500, "Failed shutting down instance, status is \"Running\": context deadline exceeded", nameof(DaemonCondition.ShutdownTimedOut))]
    [InlineData(500, "context deadline exceeded", nameof(DaemonCondition.DeadlineExceeded))]
    [InlineData(400, "Command not found", nameof(DaemonCondition.CommandNotFound))]
    [InlineData(500, "something new went wrong", nameof(DaemonCondition.Other))]
    public void Daemon_answers_about_a_sandbox_are_classified_once(int code, string message, string expected)
    {
        var context = new IncusErrorContext("Stopping sandbox 'web'", "default") { Instance = "web" };

        IncusErrorMapper.Classify(code, message, context).ToString().ShouldBe(expected);
        IncusErrorMapper.Map(code, message, context).Condition.ToString().ShouldBe(expected);
    }

    [Fact]
    public void Busy_with_a_create_is_a_name_conflict_only_while_creating()
    {
        const string busy = "Failed creating instance record: Instance is busy running a \"create\" operation";

        IncusErrorMapper.Map(500, busy, Context).ShouldBeOfType<NameConflictException>();
        var deleting = IncusErrorMapper.Map(400, busy, new IncusErrorContext("Destroying sandbox 'web'", "default") { Instance = "web" });
        deleting.Condition.ShouldBe(DaemonCondition.Busy);
        deleting.Code.ShouldBe(SandboxErrorCode.OperationFailed);
    }

    [Theory]
    [InlineData(404, "Not Found", nameof(DaemonCondition.PathNotFound), typeof(PathNotFoundException))]
    [InlineData(500, "sftp: \"lstat /etc/passwd/x: not a directory\" (SSH_FX_FAILURE)", nameof(DaemonCondition.PathNotFound), typeof(PathNotFoundException))]
    [InlineData(500, "sftp: \"remove /etc: directory not empty\" (SSH_FX_FAILURE)", nameof(DaemonCondition.DirectoryNotEmpty), typeof(IncusTestKitException))]
    [InlineData(500, "sftp: \"open /etc: is a directory\" (SSH_FX_FAILURE)", nameof(DaemonCondition.IsADirectory), typeof(IncusTestKitException))]
    [InlineData(404, "Failed to fetch instance \"web\" in project \"default\": Instance not found", nameof(DaemonCondition.InstanceNotFound), typeof(SandboxNotFoundException))]
    public void Files_answers_are_classified_by_what_happened_to_the_path(int code, string message, string condition, Type expected)
    {
        var error = IncusErrorMapper.Map(code, message, new IncusErrorContext("Deleting '/etc'", "default") { Instance = "web", Path = "/etc" });

        error.Condition.ToString().ShouldBe(condition);
        error.ShouldBeOfType(expected);
    }

    [Theory]
    [InlineData(404, "Image \"deadbeef\" not found")]
    [InlineData(404, "Image alias not found")]
    [InlineData(404, "Not Found")]
    public void A_missing_image_in_a_lookup_is_image_not_found(int code, string message) =>
        IncusErrorMapper.Map(code, message, new IncusErrorContext("Looking up an image", "default") { Image = "deadbeef" })
            .ShouldBeOfType<ImageNotFoundException>();

    [Fact]
    public void A_name_conflict_found_by_the_sdk_itself_reads_as_the_daemons_would()
    {
        var error = IncusErrorMapper.Create(DaemonCondition.InstanceExists, Context);

        error.ShouldBeOfType<NameConflictException>().Message.ShouldContain("dotnet isb destroy web");
        error.DaemonMessage.ShouldBeNull();
    }

    [Theory]
    [InlineData(500, "Image not provided for instance creation")]
    [InlineData(400, "Instance is not running")]
    [InlineData(500, "context deadline exceeded")]
    [InlineData(500, "Failed creating instance record: Unknown configuration key: bogus.key")]
    [InlineData(500, "something new went wrong")]
    public void Where_the_daemons_words_say_more_than_the_type_the_message_quotes_them(int code, string message) =>
        IncusErrorMapper.Map(code, message, Context).Message.ShouldContain(message);

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
