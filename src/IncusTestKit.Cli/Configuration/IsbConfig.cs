using System.Text.Json;

namespace IncusTestKit.Cli.Configuration;

/// <summary>
/// The tool's own settings, from the first of: <c>.isb.json</c> in the current folder or the nearest folder above it
/// (a repository's choice), then <c>$XDG_CONFIG_HOME/isb/config.json</c> (<c>~/.config/isb/config.json</c>; a
/// person's choice). Only one file is read; none is fine. Example: <c>{"image": "isb/busybox"}</c>.
/// </summary>
internal sealed record IsbConfig
{
    /// <summary>The repository-local file name, looked for upwards from the current folder.</summary>
    public const string LocalFileName = ".isb.json";

    /// <summary>The settings when no file exists.</summary>
    public static IsbConfig None { get; } = new();

    /// <summary>The file read, or null when there is none.</summary>
    public string? Path { get; init; }

    /// <summary>The default image for <c>disp</c>, or null.</summary>
    public string? Image { get; init; }

    /// <summary>The image <c>disp</c> uses when none is given: <c>ISB_IMAGE</c>, else this file's, else null (the SDK's built-in default).</summary>
    public string? DefaultImage(Func<string, string?> environment) =>
        string.IsNullOrWhiteSpace(environment("ISB_IMAGE")) ? Image : environment("ISB_IMAGE")!.Trim();

    /// <summary>Where the default image comes from, for people: <c>ISB_IMAGE</c>, the file's path, or <c>built in</c>.</summary>
    public string DefaultImageSource(Func<string, string?> environment) =>
        !string.IsNullOrWhiteSpace(environment("ISB_IMAGE")) ? "ISB_IMAGE" : Image is not null ? Path! : "built in";

    /// <summary>The user-level file's path (it may not exist).</summary>
    public static string UserFilePath(Func<string, string?> environment)
    {
        var xdg = environment("XDG_CONFIG_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg) && System.IO.Path.IsPathRooted(xdg)
            ? xdg
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return System.IO.Path.Combine(root, "isb", "config.json");
    }

    /// <summary>The file that applies from <paramref name="directory"/>, or null when there is none.</summary>
    public static string? Find(string directory, Func<string, string?> environment)
    {
        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            var local = System.IO.Path.Combine(current.FullName, LocalFileName);
            if (File.Exists(local))
                return local;
        }
        var user = UserFilePath(environment);
        return File.Exists(user) ? user : null;
    }

    /// <summary>Reads the file that applies to the current folder.</summary>
    /// <exception cref="FormatException">The file is not valid JSON of the expected shape.</exception>
    public static IsbConfig Load() => Load(Directory.GetCurrentDirectory(), Environment.GetEnvironmentVariable);

    /// <summary>Reads the file that applies to <paramref name="directory"/>.</summary>
    /// <exception cref="FormatException">The file is not valid JSON of the expected shape.</exception>
    public static IsbConfig Load(string directory, Func<string, string?> environment)
    {
        if (Find(directory, environment) is not { } path)
            return None;
        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllText(path), IsbConfigJsonContext.Default.IsbConfigFile);
            return new IsbConfig { Path = path, Image = string.IsNullOrWhiteSpace(file?.Image) ? null : file.Image.Trim() };
        }
        catch (JsonException e)
        {
            throw new FormatException($"The config file {path} is not valid: {e.Message} Expected, for example: {{\"image\": \"isb/busybox\"}}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"The config file {path} cannot be read: {e.Message}", e);
        }
    }
}
