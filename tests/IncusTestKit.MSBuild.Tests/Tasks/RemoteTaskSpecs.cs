using IncusTestKit.MSBuild.Tasks;
using IncusTestKit.MSBuild.Tests.Infrastructure;
using IncusTestKit.Tests.Infrastructure;
using Microsoft.Build.Framework;
using Shouldly;

namespace IncusTestKit.MSBuild.Tests.Tasks;

/// <summary>
/// The tasks' Remote (a remote of the incus client config) and Target (a cluster member), against a one-member cluster
/// (a second daemon) named in an INCUS_CONF folder as a unix:// remote.
/// </summary>
public sealed class RemoteTaskSpecs(ClusterDaemon cluster) : IClassFixture<ClusterDaemon>, IDisposable
{
    private const string Remote = "isbt-cluster";
    private readonly RecordingBuildEngine _engine = new();
    private readonly string _config = Directory.CreateTempSubdirectory("isbt-msbuild-conf-").FullName;

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

    public void Dispose() => Directory.Delete(_config, recursive: true);

    private T OnEngine<T>(T task) where T : Microsoft.Build.Utilities.Task
    {
        task.BuildEngine = _engine;
        return task;
    }

    // The build's client of a remote is made by the first task that names it, reading INCUS_CONF then; the file names
    // no default remote, so clients made meanwhile by other tests stay local.
    private bool WithConfig(Func<bool> execute)
    {
        File.WriteAllText(Path.Combine(_config, "config.yml"), $"remotes:\n  {Remote}:\n    addr: unix://{cluster.SocketPath}\n    protocol: incus\n");
        var previous = Environment.GetEnvironmentVariable("INCUS_CONF");
        Environment.SetEnvironmentVariable("INCUS_CONF", _config);
        try
        {
            return execute();
        }
        finally
        {
            Environment.SetEnvironmentVariable("INCUS_CONF", previous);
        }
    }
}
