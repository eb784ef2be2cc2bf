using System.Runtime.Versioning;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Commands;

/// <summary><c>push</c>, <c>pull</c>, <c>cat</c> and <c>ls</c> in a shared busybox sandbox; each test works in its own folder there.</summary>
[SupportedOSPlatform("linux")]
public sealed class FilesSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    private const UnixFileMode Mode0750 = (UnixFileMode)0b111_101_000;
    private const UnixFileMode Mode0640 = (UnixFileMode)0b110_100_000;

    [Fact]
    public async Task A_file_goes_in_and_comes_back_with_its_content_and_mode()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        var local = host.Write("script.sh", "#!/bin/sh\necho pushed\n", Mode0750);
        var remote = $"/tmp/{TestNames.New("file")}/script.sh";

        var push = await IsbTool.RunAsync("push", name, local, remote);
        var ran = await IsbTool.RunAsync("exec", name, "--", remote);
        var pull = await IsbTool.RunAsync("pull", name, remote, host["back.sh"]);

        push.ExitCode.ShouldBe(0, push.StandardError);
        push.StandardOutput.ShouldBeEmpty();
        ran.StandardOutput.ShouldBe("pushed\n");
        pull.ExitCode.ShouldBe(0, pull.StandardError);
        (await File.ReadAllTextAsync(host["back.sh"], TestContext.Current.CancellationToken)).ShouldBe("#!/bin/sh\necho pushed\n");
        File.GetUnixFileMode(host["back.sh"]).ShouldBe(Mode0750);
    }

    [Fact]
    public async Task A_folder_goes_in_and_comes_back_whole()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        host.Write("tree/a.txt", "alpha\n");
        host.Write("tree/sub/b.txt", "beta\n", Mode0640);
        host.Write("tree/sub/deeper/c.sh", "echo c\n", Mode0750);
        var remote = $"/tmp/{TestNames.New("dir")}";

        var push = await IsbTool.RunAsync("push", name, host["tree"], remote);
        var listing = await IsbTool.RunAsync("exec", name, "--sh", $"cd {remote} && find . -type f | sort && cat sub/b.txt");
        var pull = await IsbTool.RunAsync("pull", name, remote, host["copy"]);

        push.ExitCode.ShouldBe(0, push.StandardError);
        listing.StandardOutput.ShouldBe("./a.txt\n./sub/b.txt\n./sub/deeper/c.sh\nbeta\n");
        pull.ExitCode.ShouldBe(0, pull.StandardError);
        File.ReadAllText(host["copy/a.txt"]).ShouldBe("alpha\n");
        File.ReadAllText(host["copy/sub/b.txt"]).ShouldBe("beta\n");
        File.ReadAllText(host["copy/sub/deeper/c.sh"]).ShouldBe("echo c\n");
        File.GetUnixFileMode(host["copy/sub/b.txt"]).ShouldBe(Mode0640);
        File.GetUnixFileMode(host["copy/sub/deeper/c.sh"]).ShouldBe(Mode0750);
        HostFolder.Fingerprint(host["copy"]).ShouldBe(HostFolder.Fingerprint(host["tree"]));
    }

    [Fact]
    public async Task Pull_warns_about_each_entry_it_skips_and_never_creates_a_link_that_leaves_the_tree()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        var remote = $"/tmp/{TestNames.New("pull")}";
        var setup = await IsbTool.RunAsync("exec", name, "--sh",
            $"mkdir -p {remote} && cd {remote} && ln -s /etc escape && ln -s a.txt inside && echo a > a.txt && head -c 3000 /dev/zero > big && ln -s /tmp \"$(printf 'x\\nwarning: forged')\"");
        setup.ExitCode.ShouldBe(0, setup.StandardError);

        var pull = await IsbTool.RunAsync("pull", name, remote, host["out"], "--max-file-size", "1KB");

        pull.ExitCode.ShouldBe(0, pull.StandardError);
        pull.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe([
            $"warning: {remote}/big: skipped: 2.9 KiB is over the limit of 1 KiB per file",
            $"warning: {remote}/escape: skipped: it points to '/etc', outside '{remote}', so it is not created on the host",
            $"warning: {remote}/x\\nwarning: forged: skipped: it points to '/tmp', outside '{remote}', so it is not created on the host",
        ]);
        new FileInfo(host["out/escape"]).Exists.ShouldBeFalse();
        new FileInfo(host["out/inside"]).LinkTarget.ShouldBe("a.txt");
        File.ReadAllText(host["out/a.txt"]).ShouldBe("a\n");
    }

    [Fact]
    public async Task Pull_refuses_a_tree_over_max_total_size_and_its_help_teaches_the_limits()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        var remote = $"/tmp/{TestNames.New("pull")}";
        (await IsbTool.RunAsync("exec", name, "--sh", $"mkdir -p {remote} && head -c 3000 /dev/zero > {remote}/big")).ExitCode.ShouldBe(0);

        var pull = await IsbTool.RunAsync("pull", name, remote, host["out"], "--max-total-size", "2KB");
        var help = await IsbTool.RunAsync("pull", "--help");
        var bad = await IsbTool.RunAsync("pull", name, remote, host["out"], "--max-file-size", "lots");

        pull.ExitCode.ShouldBe(1);
        pull.StandardError.ShouldStartWith("error: ");
        pull.StandardError.ShouldContain("over the limit of 2 KiB; nothing was written");
        Directory.Exists(host["out"]).ShouldBeFalse();
        help.StandardOutput.ShouldContain("--max-file-size <size>");
        help.StandardOutput.ShouldContain("--max-total-size <size>");
        help.StandardOutput.ShouldContain("--stall-timeout <duration>");
        help.StandardOutput.ShouldContain("symlinks that leave the copied tree are skipped");
        bad.ExitCode.ShouldNotBe(0);
        bad.StandardError.ShouldContain("'lots' is not a size");
    }

    [Fact]
    public async Task Push_warns_about_a_fifo_and_pushes_the_rest()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        host.Write("tree/a.txt", "a");
        await CliWrap.Cli.Wrap("mkfifo").WithArguments([host["tree/fifo"]]).ExecuteAsync(TestContext.Current.CancellationToken);
        var remote = $"/tmp/{TestNames.New("push")}";

        var push = await IsbTool.RunAsync("push", name, host["tree"], remote);

        push.ExitCode.ShouldBe(0, push.StandardError);
        push.StandardError.ShouldBe($"warning: {host["tree/fifo"]}: skipped: it is a FIFO; reading it could block or never end\n");
        (await IsbTool.RunAsync("exec", name, "--", "ls", remote)).StandardOutput.ShouldBe("a.txt\n");
    }

    [Fact]
    public async Task Cat_prints_a_binary_file_byte_for_byte()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        var bytes = new byte[70_000];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0;
        bytes[1] = 0xFF;
        bytes[2] = (byte)'\n';
        bytes[3] = (byte)'\r';
        var local = host["blob.bin"];
        await File.WriteAllBytesAsync(local, bytes, TestContext.Current.CancellationToken);
        var remote = $"/tmp/{TestNames.New("cat")}.bin";
        (await IsbTool.RunAsync("push", name, local, remote)).ExitCode.ShouldBe(0);

        var (exitCode, stdout, stderr) = await IsbTool.RunBinaryAsync([], "cat", name, remote);

        exitCode.ShouldBe(0, stderr);
        stdout.ShouldBe(bytes);
    }

    [Fact]
    public async Task Ls_shows_a_table_for_people_and_json_for_machines()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();
        host.Write("d/notes.txt", "12345", Mode0640);
        host.Write("d/inner/x", "x");
        var remote = $"/tmp/{TestNames.New("ls")}";
        (await IsbTool.RunAsync("push", name, host["d"], remote)).ExitCode.ShouldBe(0);

        var table = await IsbTool.RunAsync("ls", name, remote);
        var json = await IsbTool.RunJsonAsync("ls", name, remote, "--json");
        var root = await IsbTool.RunAsync("ls", name);

        table.ExitCode.ShouldBe(0, table.StandardError);
        var lines = table.StandardOutput.TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe(3);
        lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["TYPE", "MODE", "UID", "GID", "SIZE", "MODIFIED", "NAME"]);
        lines[1].ShouldStartWith("dir ");
        lines[1].ShouldEndWith(" inner");
        lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldSatisfyAllConditions(
            cells => cells[0].ShouldBe("file"),
            cells => cells[1].ShouldBe("0640"),
            cells => cells[4].ShouldBe("5"),
            cells => cells[^1].ShouldBe("notes.txt"));

        json.GetArrayLength().ShouldBe(2);
        var notes = json[1];
        notes.GetProperty("name").GetString().ShouldBe("notes.txt");
        notes.GetProperty("path").GetString().ShouldBe($"{remote}/notes.txt");
        notes.GetProperty("type").GetString().ShouldBe("file");
        notes.GetProperty("mode").GetString().ShouldBe("0640");
        notes.GetProperty("size").GetInt64().ShouldBe(5);
        notes.GetProperty("uid").GetInt32().ShouldBe(0);
        notes.GetProperty("modifiedAt").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddHours(-1));
        json[0].GetProperty("type").GetString().ShouldBe("directory");

        root.ExitCode.ShouldBe(0, root.StandardError);
        root.StandardOutput.ShouldContain(" etc\n");
        root.StandardOutput.ShouldContain(" tmp\n");
    }

    [Fact]
    public async Task A_missing_path_is_a_clear_error()
    {
        await IncusDaemon.RequireAsync();
        var name = (await shared.GetAsync()).Name;
        using var host = new HostFolder();

        var cat = await IsbTool.RunAsync("cat", name, "/no/such/file");
        var ls = await IsbTool.RunAsync("ls", name, "/no/such/dir");
        var pull = await IsbTool.RunAsync("pull", name, "/no/such/file", host["out"]);
        var push = await IsbTool.RunAsync("push", name, host["missing"], "/tmp/x");

        foreach (var (result, path) in new[] { (cat, "/no/such/file"), (ls, "/no/such/dir"), (pull, "/no/such/file"), (push, host["missing"]) })
        {
            result.ExitCode.ShouldBe(1);
            result.StandardOutput.ShouldBeEmpty();
            result.StandardError.ShouldStartWith("error: ");
            result.StandardError.ShouldContain(path);
            result.StandardError.ShouldNotContain("   at ");
        }
        File.Exists(host["out"]).ShouldBeFalse();
    }
}
