using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using IncusTestKit.Cli.Invocation;
using IncusTestKit.Cli.Output;
using IncusTestKit.Files;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Cli.Commands;

/// <summary><c>dotnet isb ls &lt;name&gt; [path]</c>: a directory of a sandbox, with type, mode, owner, size and time.</summary>
internal sealed class LsCommand : SandboxVerb
{
    private readonly Argument<string> _path = new("path")
    {
        Description = "The absolute path of the directory in the sandbox [default: /]",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => "/",
    };

    private readonly Option<bool> _json = CommonOptions.Json();

    public LsCommand() : base("ls", "List a directory of a sandbox: type, mode, owner, size and modification time")
    {
        Arguments.Add(_path);
        Options.Add(_json);
    }

    public override IReadOnlyList<string> Examples { get; } =
    [
        "dotnet isb ls web",
        "dotnet isb ls web /etc",
        "dotnet isb ls web /root --json | jq -r '.[].name'",
    ];

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var entries = await sandbox.Files.ListDirectoryAsync(parseResult.GetValue(_path) ?? "/", cancellationToken);

        if (parseResult.GetValue(_json))
        {
            Json.Write(w =>
            {
                w.WriteStartArray();
                foreach (var entry in entries)
                    WriteEntry(w, entry);
                w.WriteEndArray();
            });
            return 0;
        }
        var table = new Table("TYPE", "MODE", "UID", "GID", "SIZE", "MODIFIED", "NAME");
        foreach (var entry in entries)
            table.Add(Type(entry.Type), Mode(entry.Mode),
                entry.Uid.ToString(CultureInfo.InvariantCulture), entry.Gid.ToString(CultureInfo.InvariantCulture),
                entry.Size.ToString(CultureInfo.InvariantCulture),
                entry.ModifiedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                entry.Name);
        table.WriteTo(Console.Out);
        return 0;
    }

    private static string Type(FileType type) => type switch
    {
        FileType.Directory => "dir",
        FileType.Symlink => "symlink",
        _ => "file",
    };

    /// <summary>The permission bits in octal, as <c>chmod</c> takes them: <c>0644</c>.</summary>
    private static string Mode(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');

    private static void WriteEntry(Utf8JsonWriter writer, FileStat entry)
    {
        writer.WriteStartObject();
        writer.WriteString("name", entry.Name);
        writer.WriteString("path", entry.Path);
        writer.WriteString("type", Type(entry.Type) == "dir" ? "directory" : Type(entry.Type));
        writer.WriteString("mode", Mode(entry.Mode));
        writer.WriteNumber("uid", entry.Uid);
        writer.WriteNumber("gid", entry.Gid);
        writer.WriteNumber("size", entry.Size);
        writer.WriteString("modifiedAt", entry.ModifiedAt);
        writer.WriteEndObject();
    }
}
