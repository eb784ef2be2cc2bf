using System.Net.Sockets;
using System.Runtime.Versioning;
using CliWrap;
using IncusTestKit.Errors;
using IncusTestKit.Files;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Files;

/// <summary>
/// Pushing a host tree that something else controls (a folder a sandbox wrote, a checkout with odd entries): the
/// push never reads through a host symlink and never blocks on a FIFO.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class HostilePushSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fifos_sockets_and_names_that_are_not_utf8_are_skipped_and_reported_instead_of_hanging_the_push()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        host.Write("tree/a.txt", "a");
        host.Write("tree/new\nline", "n");
        await Cli.Wrap("mkfifo").WithArguments([host["tree/fifo"]]).ExecuteAsync(Ct);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(host["tree/sock"]));
        await Cli.Wrap("sh").WithArguments(["-c", "printf b > \"$1/$(printf 'bad\\377')\"", "sh", host["tree"]]).ExecuteAsync(Ct);
        var remote = $"/tmp/push-{Guid.NewGuid():N}";

        FileTransferReport report;
        try
        {
            report = await sandbox.Files.PushAsync(host["tree"], remote, Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        }
        finally
        {
            // .NET cannot name (so cannot delete) a file whose name is not UTF-8.
            await Cli.Wrap("sh").WithArguments(["-c", "rm -f \"$1\"/bad*", "sh", host["tree"]]).ExecuteAsync(Ct);
        }

        report.Skipped.Select(s => (Path.GetRelativePath(host["tree"], s.Path), s.Reason)).ShouldBe(
            [("bad\uFFFD", SkipReason.UnreadableName), ("fifo", SkipReason.NotARegularFile), ("sock", SkipReason.NotARegularFile)]);
        report.Skipped[1].Message.ShouldContain("FIFO");
        (report.Files, report.Directories).ShouldBe((2, 1));
        (await sandbox.Files.ListDirectoryAsync(remote, Ct)).Select(e => e.Name).ShouldBe(["a.txt", "new\nline"]);
        (await sandbox.Files.ReadFileAsync(remote + "/new\nline", cancellationToken: Ct)).ShouldBe("n");
    }

    [Fact]
    public async Task Symlinks_are_sent_as_links_and_nothing_is_read_through_them()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        host.Write("victim/secret.txt", "precious-secret");
        host.Write("tree/a.txt", "a");
        File.CreateSymbolicLink(host["tree/secret"], host["victim/secret.txt"]);
        File.CreateSymbolicLink(host["tree/victim-dir"], host["victim"]);
        File.CreateSymbolicLink(host["tree/in"], "a.txt");
        var remote = $"/tmp/push-{Guid.NewGuid():N}";

        var report = await sandbox.Files.PushAsync(host["tree"], remote, Ct);

        report.Skipped.ShouldBeEmpty();
        (report.Files, report.Symlinks).ShouldBe((1, 3));
        var links = await sandbox.RunCommandAsync(["sh", "-c", $"cd {remote} && for l in secret victim-dir in; do readlink $l; done; grep -rl precious . || true"], cancellationToken: Ct);
        links.Stdout.ShouldBe($"{host["victim/secret.txt"]}\n{host["victim"]}\na.txt\n");
    }

    [Fact]
    public async Task Pushing_a_fifo_by_name_is_refused_at_once()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        await Cli.Wrap("mkfifo").WithArguments([host["fifo"]]).ExecuteAsync(Ct);

        var error = await Should.ThrowAsync<IncusTestKitException>(
            () => sandbox.Files.PushAsync(host["fifo"], $"/tmp/push-{Guid.NewGuid():N}", Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct));

        error.Message.ShouldContain("FIFO");
    }
}
