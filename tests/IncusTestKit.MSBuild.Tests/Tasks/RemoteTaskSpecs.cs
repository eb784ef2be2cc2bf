using IncusTestKit.Errors;
using IncusTestKit.MSBuild.Tasks;
using IncusTestKit.MSBuild.Tests.Infrastructure;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using IncusTestKit.Xunit;
using Microsoft.Build.Framework;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests.Tasks;

/// <summary>
/// The tasks' Remote (a remote of the incus client config) and Target (a cluster member), against a one-member cluster
/// (a second daemon) named in an INCUS_CONF folder as a unix:// remote, and against the test daemon as an HTTPS remote
/// (127.0.0.1, a client certificate it trusts, its server certificate pinned), checked through its local socket. One
/// class, so its tests never change INCUS_CONF, a variable of the whole process, under each other.
/// </summary>
public sealed class RemoteTaskSpecs(ClusterDaemon cluster, LoopbackTlsServer server) : IClassFixture<ClusterDaemon>, IClassFixture<LoopbackTlsServer>
{
    private const string Remote = "isbt-cluster";
    private const string TlsRemote = "isbt-msb-tls";
    private readonly RecordingBuildEngine _engine = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Errors => string.Join('\n', _engine.Errors.Select(e => $"{e.Code}: {e.Message}"));

    [Fact]
    public async Task Every_task_works_on_the_remote_it_names_and_create_puts_the_sandbox_on_its_target_member()
    {
        await cluster.RequireAsync();
        var create = OnEngine(new IncusSandboxCreate { Remote = Remote, Image = TestImages.Busybox, NamePrefix = "isbt-msb-remote-", Target = ClusterDaemon.Member });

        WithConfig(() => create.Execute()).ShouldBeTrue(Errors);
        (await cluster.IncusAsync("list", create.SandboxName, "--format", "csv", "--columns", "nL")).Trim().ShouldBe($"{create.SandboxName},{ClusterDaemon.Member}");
        var exec = OnEngine(new IncusSandboxExec { Remote = Remote, SandboxName = create.SandboxName, Command = "echo on-the-cluster" });
        exec.Execute().ShouldBeTrue(Errors);
        _engine.Messages.Where(m => m.Importance == MessageImportance.High).Select(m => m.Message).ShouldContain("on-the-cluster");
        OnEngine(new IncusSandboxDestroy { Remote = Remote, SandboxNames = [create.SandboxName] }).Execute().ShouldBeTrue(Errors);

        (await cluster.IncusAsync("list", "--format", "csv", "--columns", "n")).ShouldBeEmpty();
        _engine.EndBuild();
    }

    [Fact]
    public async Task A_sandbox_handed_to_the_xunit_fixtures_is_found_by_them_on_the_remote_it_was_created_on()
    {
        await cluster.RequireAsync();
        using var config = UseConfig();
        // As SandboxUp does with SandboxRemote set.
        var create = OnEngine(new IncusSandboxCreate
        {
            Remote = Remote, Image = TestImages.Busybox, NamePrefix = "isbt-msb-remote-", EnvironmentVariable = SandboxFixture.ExistingSandboxVariable,
        });
        create.Execute().ShouldBeTrue(Errors);
        try
        {
            Environment.GetEnvironmentVariable(SandboxFixture.ExistingSandboxRemoteVariable).ShouldBe(Remote);
            // The fixture of a test host started by this build, which inherits its environment: the sandbox is on the
            // second daemon only, so the local daemon (where the fixtures create theirs) would not have it.
            var fixture = new SandboxFixture();
            await fixture.InitializeAsync();
            (await fixture.RunCommandAsync("hostname", cancellationToken: TestContext.Current.CancellationToken)).EnsureSuccess().Stdout.Trim().ShouldBe(create.SandboxName);
            fixture.IsExisting.ShouldBeTrue();
            await fixture.DisposeAsync();
        }
        finally
        {
            OnEngine(new IncusSandboxDestroy { Remote = Remote, SandboxNames = [create.SandboxName], EnvironmentVariable = SandboxFixture.ExistingSandboxVariable }).Execute();
        }

        Environment.GetEnvironmentVariable(SandboxFixture.ExistingSandboxRemoteVariable).ShouldBeNull();
        (await cluster.IncusAsync("list", "--format", "csv", "--columns", "n")).ShouldBeEmpty();
        _engine.EndBuild();
    }

    [Fact]
    public async Task Create_exec_and_destroy_work_over_HTTPS()
    {
        using var config = UseConfig();
        var create = OnEngine(new IncusSandboxCreate { Remote = TlsRemote, Image = TestImages.Busybox, NamePrefix = "isbt-msb-tls-" });

        create.Execute().ShouldBeTrue(Errors);
        await using var local = new SandboxClient();
        await local.GetByNameAsync(create.SandboxName, Ct);
        OnEngine(new IncusSandboxExec { Remote = TlsRemote, SandboxName = create.SandboxName, Command = "echo over-tls" }).Execute().ShouldBeTrue(Errors);
        _engine.Messages.Where(m => m.Importance == MessageImportance.High).Select(m => m.Message).ShouldContain("over-tls");
        OnEngine(new IncusSandboxDestroy { Remote = TlsRemote, SandboxNames = [create.SandboxName] }).Execute().ShouldBeTrue(Errors);

        await Should.ThrowAsync<SandboxNotFoundException>(() => local.GetByNameAsync(create.SandboxName, Ct));
        _engine.EndBuild();
    }

    [Fact]
    public async Task A_mount_of_a_host_folder_on_an_HTTPS_remote_fails_the_task_with_the_mount_error_and_creates_nothing()
    {
        using var config = UseConfig();
        // What SandboxRun and SandboxTest do: the repository mounted.
        var create = OnEngine(new IncusSandboxCreate
        {
            Remote = TlsRemote, Image = TestImages.Busybox, NamePrefix = "isbt-msb-tls-",
            Mounts = [new Microsoft.Build.Utilities.TaskItem(Path.GetTempPath(), new Dictionary<string, string> { ["SandboxPath"] = "/workspace" })],
        });

        create.Execute().ShouldBeFalse();

        var error = _engine.Errors.ShouldHaveSingleItem();
        error.Code.ShouldBe("ISB1009");
        error.Message!.ShouldContain("daemon's machine");
        await using var local = new SandboxClient();
        (await local.ListAsync(prefix: "isbt-msb-tls-", cancellationToken: Ct)).ShouldBeEmpty();
        _engine.EndBuild();
    }

    [Fact]
    public async Task A_target_the_cluster_does_not_have_fails_the_task_with_how_to_see_the_members()
    {
        await cluster.RequireAsync();
        var create = OnEngine(new IncusSandboxCreate { Remote = Remote, Image = TestImages.Busybox, NamePrefix = "isbt-msb-remote-", Target = "isbt-nowhere" });

        WithConfig(() => create.Execute()).ShouldBeFalse();

        var error = _engine.Errors.ShouldHaveSingleItem();
        error.Code.ShouldBe("ISB1012");
        error.Message!.ShouldContain("incus cluster list");
        (await cluster.IncusAsync("list", "--format", "csv", "--columns", "n")).ShouldBeEmpty();
        _engine.EndBuild();
    }

    [Fact]
    public void A_remote_missing_from_the_config_fails_the_task_with_the_known_remotes()
    {
        var create = OnEngine(new IncusSandboxCreate { Remote = "isbt-no-such-remote", Image = TestImages.Busybox });

        WithConfig(() => create.Execute()).ShouldBeFalse();

        var error = _engine.Errors.ShouldHaveSingleItem();
        error.Message!.ShouldContain("'isbt-no-such-remote' is not configured");
        _engine.EndBuild();
    }

    private T OnEngine<T>(T task) where T : Microsoft.Build.Utilities.Task
    {
        task.BuildEngine = _engine;
        return task;
    }

    private bool WithConfig(Func<bool> execute)
    {
        using (UseConfig())
            return execute();
    }

    // The build's client of a remote is made by the first task that names it, reading INCUS_CONF then; the file names
    // no default remote, so clients made meanwhile by other tests stay local.
    private RestoredVariable UseConfig()
    {
        var config = server.ClientConfig(TlsRemote);
        File.AppendAllText(Path.Combine(config, "config.yml"), $"  {Remote}:\n    addr: unix://{cluster.SocketPath}\n    protocol: incus\n");
        return RestoredVariable.Set("INCUS_CONF", config);
    }
}
