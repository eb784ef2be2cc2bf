using System.Runtime.Versioning;
using IncusTestKit.Errors;
using IncusTestKit.Files;
using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Files;

/// <summary>
/// A sandbox that tries to reach outside the host folder a pull writes to. Each test arranges the sandbox with real
/// commands, pulls, and checks the host byte for byte: the pulled tree and a "victim" folder outside it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class HostilePullSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly UnixFileMode Umask = ReadUmask();

    [Fact]
    public async Task A_link_to_a_host_folder_is_never_created_so_a_second_pull_cannot_write_through_it()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var victim = host.Write("victim/keep.txt", "precious");
        var before = HostFolder.Fingerprint(host["victim"]);
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote} && echo a > {remote}/a.txt && ln -s {host["victim"]} {remote}/d");

        var first = await sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct);

        first.Skipped.ShouldHaveSingleItem().ShouldBe(new SkippedEntry(remote + "/d", SkipReason.SymlinkOutsideTree,
            $"skipped: it points to '{host["victim"]}', outside '{remote}', so it is not created on the host"));
        File.Exists(host["out/d"]).ShouldBeFalse();
        Directory.Exists(host["out/d"]).ShouldBeFalse();
        new FileInfo(host["out/d"]).LinkTarget.ShouldBeNull();

        await Sh(sandbox, $"rm {remote}/d && mkdir {remote}/d && echo pwned > {remote}/d/pwned && chmod 0777 {remote}/d {remote}/d/pwned");
        await sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct);

        HostFolder.Fingerprint(host["victim"]).ShouldBe(before);
        File.Exists(Path.Combine(Path.GetDirectoryName(victim)!, "pwned")).ShouldBeFalse();
        File.GetUnixFileMode(host["victim"]).ShouldNotBe((UnixFileMode)0x1FF);
        File.ReadAllText(host["out/d/pwned"]).ShouldBe("pwned\n");
        File.GetUnixFileMode(host["out/d"]).ShouldBe((UnixFileMode)0x1FF & ~Umask);
    }

    [Fact]
    public async Task Links_already_in_the_destination_are_replaced_and_never_written_through()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        host.Write("victim/keep.txt", "precious");
        var before = HostFolder.Fingerprint(host["victim"]);
        Directory.CreateDirectory(host["out"]);
        File.CreateSymbolicLink(host["out/d"], host["victim"]);
        File.CreateSymbolicLink(host["out/f"], host["victim/keep.txt"]);
        File.CreateSymbolicLink(host["out/deep"], host["victim"]);
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote}/d {remote}/deep/er && echo new > {remote}/d/keep.txt && echo f > {remote}/f && echo x > {remote}/deep/er/x && chmod 0700 {remote}/d");

        await sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct);

        HostFolder.Fingerprint(host["victim"]).ShouldBe(before);
        HostFolder.Fingerprint(host["out"]).ShouldBe(Expected(
            ("d", Dir(0x1C0)), ("d/keep.txt", FileOf("new\n", 0x1A4)), ("deep", Dir(0x1ED)), ("deep/er", Dir(0x1ED)),
            ("deep/er/x", FileOf("x\n", 0x1A4)), ("f", FileOf("f\n", 0x1A4))));
    }

    [Fact]
    public async Task Links_that_leave_the_tree_are_skipped_and_links_that_stay_inside_are_kept_relative()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote}/a/b && cd {remote} && echo f > f && ln -s /etc abs && ln -s .. up && ln -s ../../../../etc a/b/climb "
            + $"&& ln -s . dot && ln -s ../f a/in && ln -s {remote}/a/b a/absin && ln -s loop2 loop1 && ln -s loop1 loop2 && ln -s /dev/zero zero "
            + $"&& ln -s ../../../{remote.TrimStart('/')}/f a/roundabout && ln -s missing dangling");

        var report = await sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct);

        report.Skipped.Select(s => (s.Path[(remote.Length + 1)..], s.Reason)).ShouldBe(
            [("a/b/climb", SkipReason.SymlinkOutsideTree), ("abs", SkipReason.SymlinkOutsideTree), ("up", SkipReason.SymlinkOutsideTree), ("zero", SkipReason.SymlinkOutsideTree)]);
        (report.Files, report.Directories, report.Symlinks).ShouldBe((1, 3, 7));
        HostFolder.Fingerprint(host["out"]).ShouldBe(Expected(
            ("a", Dir(0x1ED)), ("a/absin", "link b"), ("a/b", Dir(0x1ED)), ("a/in", "link ../f"), ("a/roundabout", "link ../f"),
            ("dangling", "link missing"), ("dot", "link ."), ("f", FileOf("f\n", 0x1A4)), ("loop1", "link loop2"), ("loop2", "link loop1")));
    }

    [Fact]
    public async Task Modes_are_masked_with_the_umask_and_special_bits_never_arrive()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote}/sticky && cd {remote} && echo s > suid && chmod 6777 suid && chmod 3777 sticky && echo p > sticky/p && chmod 0666 sticky/p && chmod 1777 .");

        await sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct);

        HostFolder.Fingerprint(host["out"]).ShouldBe(Expected(
            ("sticky", Dir(0x1FF)), ("sticky/p", FileOf("p\n", 0x1B6)), ("suid", FileOf("s\n", 0x1FF))));
        File.GetUnixFileMode(host["out"]).ShouldBe((UnixFileMode)0x1FF & ~Umask);
    }

    [Fact]
    public async Task A_fifo_and_a_device_in_the_tree_are_skipped_and_never_hang_the_pull()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote} && cd {remote} && mkfifo fifo && echo f > f && touch empty zero && mount --bind /dev/zero zero");
        FileTransferReport report;
        try
        {
            report = await sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        }
        finally
        {
            await Sh(sandbox, $"umount {remote}/zero");
        }

        report.Skipped.Select(s => (s.Path, s.Reason)).ShouldBe([(remote + "/fifo", SkipReason.NotARegularFile), (remote + "/zero", SkipReason.NotARegularFile)]);
        HostFolder.Fingerprint(host["out"]).ShouldBe(Expected(("empty", FileOf("", 0x1A4)), ("f", FileOf("f\n", 0x1A4))));
    }

    [Fact]
    public async Task In_a_stopped_sandbox_a_fifo_arrives_as_an_empty_file_without_being_opened()
    {
        await using var sandbox = await shared.Client.CreateAsync(new SandboxOptions { Image = TestImages.Busybox, Name = TestNames.New("fifo") }, Ct);
        using var host = new HostFolder();
        await Sh(sandbox, "mkdir -p /out && mkfifo /out/fifo && echo f > /out/f");
        await sandbox.StopAsync(force: true, cancellationToken: Ct);

        var report = await sandbox.Files.PullAsync("/out", host["out"], cancellationToken: Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        report.Skipped.ShouldBeEmpty();
        HostFolder.Fingerprint(host["out"]).ShouldBe(Expected(("f", FileOf("f\n", 0x1A4)), ("fifo", FileOf("", 0x1A4))));
    }

    [Fact]
    public async Task A_huge_sparse_file_is_refused_before_anything_is_written()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote} && echo small > {remote}/a && truncate -s 1099511627776000 {remote}/sparse");

        var error = await Should.ThrowAsync<ResourceLimitException>(() => sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct));

        error.Message.ShouldContain("free");
        error.Message.ShouldContain("nothing was written");
        Directory.EnumerateFileSystemEntries(host.Path).ShouldBeEmpty();
    }

    [Fact]
    public async Task Size_limits_skip_a_file_over_the_per_file_limit_and_refuse_a_tree_over_the_total()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote} && head -c 2000 /dev/zero > {remote}/big && echo small > {remote}/small");

        var report = await sandbox.Files.PullAsync(remote, host["out"], new PullOptions { MaxFileSize = 1000 }, Ct);
        var refused = await Should.ThrowAsync<ResourceLimitException>(() => sandbox.Files.PullAsync(remote, host["again"], new PullOptions { MaxTotalSize = 1000 }, Ct));

        report.Skipped.ShouldHaveSingleItem().Reason.ShouldBe(SkipReason.TooLarge);
        report.Skipped[0].Path.ShouldBe(remote + "/big");
        HostFolder.Fingerprint(host["out"]).ShouldBe(Expected(("small", FileOf("small\n", 0x1A4))));
        refused.Message.ShouldContain("over the limit");
        Directory.Exists(host["again"]).ShouldBeFalse();
    }

    [Fact]
    public async Task Odd_names_arrive_intact_and_one_that_is_not_utf8_is_reported()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote} && cd {remote} && printf 1 > \"$(printf 'new\nline')\" && printf 2 > \"$(printf 'bad\\377name')\" "
            + "&& printf 3 > ' lead' && printf 4 > '-rf' && printf 5 > '...' && printf 6 > 'a\\b' && printf 7 > \"$(printf '\\033[31mred')\"");

        var report = await sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct);

        report.Skipped.ShouldHaveSingleItem().ShouldBe(new SkippedEntry(remote + "/bad\uFFFDname", SkipReason.UnreadableName,
            "skipped: its name is not valid UTF-8, so the files API cannot address it"));
        HostFolder.Fingerprint(host["out"]).ShouldBe(Expected(
            ("new\nline", FileOf("1", 0x1A4)), (" lead", FileOf("3", 0x1A4)), ("-rf", FileOf("4", 0x1A4)), ("...", FileOf("5", 0x1A4)),
            ("a\\b", FileOf("6", 0x1A4)), ("\u001b[31mred", FileOf("7", 0x1A4))));
    }

    [Fact]
    public async Task A_host_folder_swapped_for_a_link_during_the_pull_is_never_written_through()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        host.Write("victim/keep.txt", "precious");
        var before = HostFolder.Fingerprint(host["victim"]);
        var remote = NewRemote();
        await Sh(sandbox, $"mkdir -p {remote}/d && cd {remote}/d && i=0; while [ $i -lt 400 ]; do head -c 4096 /dev/urandom > f$i; i=$((i+1)); done");
        using var stop = new CancellationTokenSource();
        var swapper = Task.Run(() =>
        {
            // Another host process racing the pull: it swaps the folder for a link to the victim, again and again.
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    Directory.Move(host["out/d"], host["out/d.real"]);
                    File.CreateSymbolicLink(host["out/d"], host["victim"]);
                    Thread.Sleep(1);
                    File.Delete(host["out/d"]);
                    Directory.Move(host["out/d.real"], host["out/d"]);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Not there yet, or the pull replaced it: try again.
                }
            }
        }, Ct);

        try
        {
            await sandbox.Files.PullAsync(remote, host["out"], cancellationToken: Ct);
        }
        catch (IncusTestKitException)
        {
            // Refusing to go through the link is the right answer too.
        }
        finally
        {
            await stop.CancelAsync();
            await swapper;
        }

        HostFolder.Fingerprint(host["victim"]).ShouldBe(before);
    }

    private static string NewRemote() => $"/tmp/hostile-{Guid.NewGuid():N}";

    private static async Task Sh(Sandbox sandbox, string script) =>
        (await sandbox.RunCommandAsync(["sh", "-c", script], cancellationToken: Ct)).EnsureSuccess();

    private static string Dir(int mode) => "dir " + Mode(mode);

    private static string FileOf(string text, int mode) =>
        "file " + Mode(mode) + " " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private static string Mode(int mode) => Convert.ToString(mode & ~(int)Umask, 8);

    /// <summary>The fingerprint <see cref="HostFolder.Fingerprint(string)"/> gives for exactly these entries.</summary>
    private static string Expected(params (string Path, string What)[] entries) =>
        string.Join('\n', entries.Select(e => e.What switch
        {
            ['l', 'i', 'n', 'k', ' ', .. var target] => $"{e.Path} link {target}",
            ['d', 'i', 'r', ' ', .. var mode] => $"{e.Path} {mode} dir",
            ['f', 'i', 'l', 'e', ' ', .. var rest] => $"{e.Path} {rest.Split(' ')[0]} file {rest.Split(' ')[1]}",
            _ => throw new ArgumentException(e.What),
        }).Order(StringComparer.Ordinal));

    private static UnixFileMode ReadUmask()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Umask:", StringComparison.Ordinal));
        return (UnixFileMode)Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
    }
}
