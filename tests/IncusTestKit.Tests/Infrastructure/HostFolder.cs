using System.Security.Cryptography;
using System.Text;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// A temporary folder on the host for tests that push, pull or mount; deleted (whatever the sandbox wrote into
/// it) when disposed.
/// </summary>
public sealed class HostFolder : IDisposable
{
    public HostFolder()
    {
        Path = Directory.CreateTempSubdirectory("isbt-").FullName;
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    /// <summary>Writes a file (creating its folders) with the given permission bits.</summary>
    public string Write(string relative, string text, UnixFileMode mode = Modes.File644) => Write(relative, Encoding.UTF8.GetBytes(text), mode);

    public string Write(string relative, byte[] bytes, UnixFileMode mode = Modes.File644)
    {
        var path = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>
    /// A fingerprint of everything in the folder: every entry's relative path, type, permission bits, and a file's
    /// content hash or a symlink's target. Equal fingerprints mean a byte-for-byte identical tree.
    /// </summary>
    public string Fingerprint() => Fingerprint(Path);

    public static string Fingerprint(string root)
    {
        var lines = new List<string>();
        AddEntries(root, new DirectoryInfo(root), lines);
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    // By hand rather than with RecurseSubdirectories, which descends into symlinks to folders (a link to "." loops).
    private static void AddEntries(string root, DirectoryInfo directory, List<string> lines)
    {
        foreach (var entry in directory.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            var relative = System.IO.Path.GetRelativePath(root, entry.FullName);
            if (entry.LinkTarget is { } target)
            {
                lines.Add($"{relative} link {target}");
                continue;
            }
            var mode = OperatingSystem.IsWindows() ? "" : Convert.ToString((int)File.GetUnixFileMode(entry.FullName), 8);
            var content = entry is DirectoryInfo ? "dir" : "file " + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry.FullName)));
            lines.Add($"{relative} {mode} {content}");
            if (entry is DirectoryInfo sub)
                AddEntries(root, sub, lines);
        }
    }

    /// <summary>Makes the folder itself writable for every host uid (mode 0777), whichever one a sandbox's root gets.</summary>
    public void OpenToAll()
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path, Modes.Dir777);
    }

    /// <summary>Gives the folder and everything in it to a host uid (and the gid of the same number), as <c>chown -R</c>.</summary>
    public async Task ChownAsync(long uid)
    {
        var result = await CliWrap.Cli.Wrap("chown").WithArguments(["-R", $"{uid}:{uid}", Path])
            .WithValidation(CliWrap.CommandResultValidation.None).ExecuteAsync();
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"chown -R {uid} {Path} failed with exit code {result.ExitCode}.");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
