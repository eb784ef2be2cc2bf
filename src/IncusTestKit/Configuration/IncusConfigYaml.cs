using YamlDotNet.RepresentationModel;

namespace IncusTestKit.Configuration;

/// <summary>The parts of an Incus client <c>config.yml</c> that IncusTestKit reads: the default remote and the remotes.</summary>
internal sealed record IncusConfigYaml(string? DefaultRemote, IReadOnlyList<IncusRemote> Remotes)
{
    public static IncusConfigYaml? TryRead(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static IncusConfigYaml Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            return new IncusConfigYaml(null, []);

        var remotes = new List<IncusRemote>();
        if (Child(root, "remotes") is YamlMappingNode remoteMap)
        {
            foreach (var (key, value) in remoteMap.Children)
            {
                if (key is not YamlScalarNode { Value: { } name } || value is not YamlMappingNode fields)
                    continue;
                remotes.Add(new IncusRemote(
                    name,
                    Scalar(fields, "addr") ?? "",
                    Scalar(fields, "protocol") ?? "incus",
                    string.Equals(Scalar(fields, "public"), "true", StringComparison.OrdinalIgnoreCase),
                    Scalar(fields, "project")));
            }
        }
        return new IncusConfigYaml(Scalar(root, "default-remote"), remotes);
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    private static string? Scalar(YamlMappingNode map, string key) =>
        Child(map, key) is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;
}
