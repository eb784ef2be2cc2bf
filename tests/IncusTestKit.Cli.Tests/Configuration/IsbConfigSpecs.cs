using IncusTestKit.Cli.Configuration;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Configuration;

public sealed class IsbConfigSpecs : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("isbt-config-");
    private readonly Dictionary<string, string?> _environment = new();

    public IsbConfigSpecs() => _environment["XDG_CONFIG_HOME"] = Path.Combine(_root.FullName, "xdg");

    private string? Env(string name) => _environment.GetValueOrDefault(name);

    private string Write(string relativePath, string json)
    {
        var path = Path.Combine(_root.FullName, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Without_a_file_nothing_is_set()
    {
        var config = IsbConfig.Load(_root.FullName, Env);

        config.ShouldBe(IsbConfig.None);
        config.DefaultImage(Env).ShouldBeNull();
        config.DefaultImageSource(Env).ShouldBe("built in");
    }

    [Fact]
    public void The_nearest_isb_json_above_the_folder_wins_over_the_users_file()
    {
        Write("xdg/isb/config.json", """{"image": "from/user"}""");
        Write("repo/.isb.json", """{"image": "from/repo"}""");
        var near = Write("repo/src/.isb.json", """{"image": "from/src"}""");
        Directory.CreateDirectory(Path.Combine(_root.FullName, "repo/src/deep/er"));

        var config = IsbConfig.Load(Path.Combine(_root.FullName, "repo/src/deep/er"), Env);

        config.Path.ShouldBe(near);
        config.Image.ShouldBe("from/src");
        config.DefaultImageSource(Env).ShouldBe(near);
    }

    [Fact]
    public void The_users_file_is_read_from_XDG_CONFIG_HOME_when_no_repository_has_one()
    {
        var user = Write("xdg/isb/config.json", """
            // comments and trailing commas are forgiven
            {"Image": "from/user",}
            """);

        var config = IsbConfig.Load(_root.FullName, Env);

        config.Path.ShouldBe(user);
        config.Image.ShouldBe("from/user");
    }

    [Fact]
    public void ISB_IMAGE_wins_over_the_file()
    {
        Write(".isb.json", """{"image": "from/file", "unknown": 1}""");
        _environment["ISB_IMAGE"] = "from/env";

        var config = IsbConfig.Load(_root.FullName, Env);

        config.DefaultImage(Env).ShouldBe("from/env");
        config.DefaultImageSource(Env).ShouldBe("ISB_IMAGE");
    }

    [Fact]
    public void A_broken_file_is_an_error_that_names_it()
    {
        var path = Write(".isb.json", """{"image": """);

        var error = Should.Throw<FormatException>(() => IsbConfig.Load(_root.FullName, Env));

        error.Message.ShouldStartWith($"The config file {path} is not valid:");
    }

    [Fact]
    public void Without_XDG_CONFIG_HOME_the_users_file_is_under_dot_config()
    {
        _environment.Remove("XDG_CONFIG_HOME");

        IsbConfig.UserFilePath(Env).ShouldBe(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "isb", "config.json"));
    }

    public void Dispose() => _root.Delete(recursive: true);
}
