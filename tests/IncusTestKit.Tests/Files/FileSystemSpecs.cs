using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using IncusTestKit.Errors;
using IncusTestKit.Files;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Files;

[SupportedOSPlatform("linux")]
public sealed class FileSystemSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewDirectory() => $"/tmp/fs-{Guid.NewGuid():N}";

    [Fact]
    public async Task I_can_write_and_read_text_files()
    {
        var sandbox = await shared.GetAsync();
        var path = NewDirectory() + ".txt";
        const string text = "héllo, wörld ✓\nsecond line\n";

        await sandbox.Files.WriteFileAsync(path, text, cancellationToken: Ct);

        (await sandbox.Files.ReadFileAsync(path, cancellationToken: Ct)).ShouldBe(text);
        (await sandbox.RunCommandAsync(["cat", path], cancellationToken: Ct)).Stdout.ShouldBe(text);
    }

    [Fact]
    public async Task Binary_content_round_trips_exactly_as_bytes_and_as_a_stream()
    {
        var sandbox = await shared.GetAsync();
        var path = NewDirectory() + ".bin";
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(RandomNumberGenerator.GetBytes(1 << 20)).ToArray();

        await sandbox.Files.WriteFileAsync(path, bytes, cancellationToken: Ct);

        (await sandbox.Files.ReadFileBytesAsync(path, Ct)).ShouldBe(bytes);
        await using (var stream = await sandbox.Files.OpenReadAsync(path, Ct))
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, Ct);
            copy.ToArray().ShouldBe(bytes);
        }
        var inside = (await sandbox.RunCommandAsync(["sha256sum", path], cancellationToken: Ct)).Stdout.Split(' ')[0];
        inside.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(bytes)));

        using var source = new MemoryStream(bytes);
        await sandbox.Files.WriteFileAsync(path + ".2", source, cancellationToken: Ct);
        (await sandbox.Files.ReadFileBytesAsync(path + ".2", Ct)).ShouldBe(bytes);
        source.CanRead.ShouldBeTrue(); // the caller's stream is left open
    }

    [Fact]
    public async Task A_new_file_gets_0644_and_root_unless_told_and_an_explicit_mode_or_owner_replaces_an_existing_ones()
    {
        var sandbox = await shared.GetAsync();
        var path = NewDirectory() + ".conf";

        await sandbox.Files.WriteFileAsync(path, "a", cancellationToken: Ct);
        var created = await sandbox.Files.StatAsync(path, Ct);
        created.Mode.ShouldBe(Modes.File644);
        (created.Uid, created.Gid).ShouldBe((0, 0));

        await sandbox.Files.WriteFileAsync(path, "b", mode: Modes.File600, owner: "sandbox", cancellationToken: Ct);
        var changed = await sandbox.Files.StatAsync(path, Ct);
        changed.Mode.ShouldBe(Modes.File600);
        (changed.Uid, changed.Gid).ShouldBe((1000, 1000));

        await sandbox.Files.WriteFileAsync(path, "cc", cancellationToken: Ct);
        var kept = await sandbox.Files.StatAsync(path, Ct);
        kept.Mode.ShouldBe(Modes.File600);
        kept.Uid.ShouldBe(1000);
        kept.Size.ShouldBe(2);
        (await sandbox.Files.ReadFileAsync(path, cancellationToken: Ct)).ShouldBe("cc");

        await sandbox.Files.WriteFileAsync(path, "d", owner: "4242:0", cancellationToken: Ct);
        ((await sandbox.Files.StatAsync(path, Ct)).Uid, (await sandbox.Files.StatAsync(path, Ct)).Gid).ShouldBe((4242, 0));
        await Should.ThrowAsync<IncusTestKitException>(() => sandbox.Files.WriteFileAsync(path, "e", owner: "no-such-user", cancellationToken: Ct));
    }

    [Fact]
    public async Task I_can_stat_a_file_a_directory_and_a_symlink()
    {
        var sandbox = await shared.GetAsync();
        var directory = NewDirectory();
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        await sandbox.Files.CreateDirectoryAsync(directory, mode: Modes.Dir700, cancellationToken: Ct);
        await sandbox.Files.WriteFileAsync(directory + "/f", "12345", cancellationToken: Ct);
        (await sandbox.RunCommandAsync(["ln", "-s", "f", directory + "/link"], cancellationToken: Ct)).EnsureSuccess();

        var file = await sandbox.Files.StatAsync(directory + "/f", Ct);
        file.Type.ShouldBe(FileType.File);
        file.Size.ShouldBe(5);
        file.Name.ShouldBe("f");
        file.Path.ShouldBe(directory + "/f");
        file.ModifiedAt.ShouldBeGreaterThan(before);
        file.ModifiedAt.ShouldBeLessThan(DateTimeOffset.UtcNow.AddMinutes(1));

        var folder = await sandbox.Files.StatAsync(directory, Ct);
        folder.Type.ShouldBe(FileType.Directory);
        folder.Mode.ShouldBe(Modes.Dir700);

        (await sandbox.Files.StatAsync(directory + "/link", Ct)).Type.ShouldBe(FileType.Symlink);
        (await sandbox.Files.ReadFileAsync(directory + "/link", cancellationToken: Ct)).ShouldBe("12345"); // reading follows it

        (await sandbox.Files.ExistsAsync(directory + "/f", Ct)).ShouldBeTrue();
        (await sandbox.Files.ExistsAsync(directory + "/nope", Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task I_can_make_list_and_remove_directories()
    {
        var sandbox = await shared.GetAsync();
        var root = NewDirectory();

        (await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.CreateDirectoryAsync(root + "/a/b", cancellationToken: Ct)))
            .Message.ShouldContain("recursive: true");
        await sandbox.Files.CreateDirectoryAsync(root + "/a/b", recursive: true, cancellationToken: Ct);
        await sandbox.Files.CreateDirectoryAsync(root + "/a/b", cancellationToken: Ct); // an existing directory is fine
        await sandbox.Files.WriteFileAsync(root + "/a/file.txt", "x", cancellationToken: Ct);
        await sandbox.Files.WriteFileAsync(root + "/a/b/deep.txt", "y", cancellationToken: Ct);

        var entries = await sandbox.Files.ListDirectoryAsync(root + "/a", Ct);
        entries.Select(e => (e.Name, e.Type)).ShouldBe([("b", FileType.Directory), ("file.txt", FileType.File)]);
        entries[1].Path.ShouldBe(root + "/a/file.txt");
        (await sandbox.Files.StatAsync(root + "/a/b", Ct)).Mode.ShouldBe(Modes.Exec755);

        (await Should.ThrowAsync<IncusTestKitException>(() => sandbox.Files.DeleteAsync(root + "/a", cancellationToken: Ct))).Message.ShouldContain("recursive: true");
        (await Should.ThrowAsync<IncusTestKitException>(() => sandbox.Files.CreateDirectoryAsync(root + "/a/file.txt/sub", recursive: true, cancellationToken: Ct)))
            .Message.ShouldContain("not a directory");
        await sandbox.Files.DeleteAsync(root + "/a/file.txt", cancellationToken: Ct);
        await sandbox.Files.DeleteAsync(root, recursive: true, cancellationToken: Ct);
        (await sandbox.Files.ExistsAsync(root, Ct)).ShouldBeFalse();

        await sandbox.Files.DeleteAsync(root, force: true, cancellationToken: Ct); // a missing path is fine with force
        await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.DeleteAsync(root, cancellationToken: Ct));
    }

    [Fact]
    public async Task A_missing_path_is_path_not_found_and_a_relative_one_is_refused()
    {
        var sandbox = await shared.GetAsync();
        const string missing = "/no/such/path";

        (await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.ReadFileAsync(missing, cancellationToken: Ct))).Message.ShouldContain(missing);
        await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.ReadFileBytesAsync(missing, Ct));
        await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.OpenReadAsync(missing, Ct));
        await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.StatAsync(missing, Ct));
        await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.ListDirectoryAsync(missing, Ct));
        await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.DeleteAsync(missing, cancellationToken: Ct));
        (await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.WriteFileAsync(missing + "/f", "x", cancellationToken: Ct))).Message.ShouldContain("CreateDirectoryAsync");
        await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.PullAsync(missing, "/tmp/isbt-never", cancellationToken: Ct));

        await Should.ThrowAsync<ArgumentException>(() => sandbox.Files.ReadFileAsync("etc/passwd", cancellationToken: Ct));
        await Should.ThrowAsync<ArgumentException>(() => sandbox.Files.WriteFileAsync("tmp/x", "x", cancellationToken: Ct));
        await Should.ThrowAsync<ArgumentException>(() => sandbox.Files.DeleteAsync("/", recursive: true, cancellationToken: Ct));
        (await Should.ThrowAsync<IncusTestKitException>(() => sandbox.Files.ReadFileAsync("/etc", cancellationToken: Ct))).Message.ShouldContain("directory");
    }

    [Fact]
    public async Task I_can_push_a_tree_and_pull_it_back_with_modes_and_symlinks_kept()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        using var back = new HostFolder();
        host.Write("tree/run.sh", "#!/bin/sh\necho ran\n", Modes.Exec755);
        host.Write("tree/secret.txt", "s3cret", Modes.File600);
        host.Write("tree/data/blob.bin", RandomNumberGenerator.GetBytes(300_000));
        host.Write("tree/data/deeper/note.md", "# note");
        host.Write("tree/with space & ünïcode?.txt", "odd name");
        Directory.CreateDirectory(host["tree/empty"]);
        File.CreateSymbolicLink(host["tree/latest"], "data/blob.bin");
        var remote = NewDirectory() + "/copy";

        await sandbox.Files.PushAsync(host["tree"], remote, Ct);

        (await sandbox.RunCommandAsync([remote + "/run.sh"], cancellationToken: Ct)).Stdout.ShouldBe("ran\n");
        (await sandbox.Files.StatAsync(remote + "/secret.txt", Ct)).Mode.ShouldBe(Modes.File600);
        (await sandbox.Files.StatAsync(remote + "/latest", Ct)).Type.ShouldBe(FileType.Symlink);
        (await sandbox.Files.ReadFileBytesAsync(remote + "/latest", Ct)).ShouldBe(File.ReadAllBytes(host["tree/data/blob.bin"]));
        (await sandbox.Files.StatAsync(remote + "/empty", Ct)).Type.ShouldBe(FileType.Directory);
        (await sandbox.Files.ReadFileAsync(remote + "/with space & ünïcode?.txt", cancellationToken: Ct)).ShouldBe("odd name");

        await sandbox.Files.PullAsync(remote, back["tree"], cancellationToken: Ct);

        HostFolder.Fingerprint(back["tree"]).ShouldBe(HostFolder.Fingerprint(host["tree"]));
    }

    [Fact]
    public async Task Pushing_again_replaces_files_and_takes_their_new_modes()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var script = host.Write("tree/tool", "v1", Modes.File644);
        var remote = NewDirectory();
        await sandbox.Files.PushAsync(host["tree"], remote, Ct);

        host.Write("tree/tool", "v2", Modes.Exec755);
        host.Write("tree/added.txt", "new");
        await sandbox.Files.PushAsync(host["tree"], remote, Ct);
        await sandbox.Files.PushAsync(script, remote + "/single/tool-copy", Ct);

        (await sandbox.Files.ReadFileAsync(remote + "/tool", cancellationToken: Ct)).ShouldBe("v2");
        (await sandbox.Files.StatAsync(remote + "/tool", Ct)).Mode.ShouldBe(Modes.Exec755);
        (await sandbox.Files.ReadFileAsync(remote + "/added.txt", cancellationToken: Ct)).ShouldBe("new");
        (await sandbox.Files.StatAsync(remote + "/single/tool-copy", Ct)).Mode.ShouldBe(Modes.Exec755);
        (await Should.ThrowAsync<PathNotFoundException>(() => sandbox.Files.PushAsync(host["nothing-here"], remote + "/x", Ct))).Message.ShouldContain("nothing-here");
    }

    [Fact]
    public async Task I_can_pull_a_single_file_to_a_new_host_folder()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        var remote = NewDirectory() + ".sh";
        await sandbox.Files.WriteFileAsync(remote, "#!/bin/sh\n", Modes.Exec755, cancellationToken: Ct);

        await sandbox.Files.PullAsync(remote, host["a/b/tool.sh"], cancellationToken: Ct);

        File.ReadAllText(host["a/b/tool.sh"]).ShouldBe("#!/bin/sh\n");
        File.GetUnixFileMode(host["a/b/tool.sh"]).ShouldBe(Modes.Exec755);
    }
}
