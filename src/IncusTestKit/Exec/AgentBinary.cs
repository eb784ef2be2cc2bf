namespace IncusTestKit.Exec;

/// <summary>The exec agent's native binary, embedded in this assembly by the build on linux-x64 (see IncusTestKit.csproj).</summary>
internal static class AgentBinary
{
    private const string ResourceName = "IncusTestKit.Agent.linux-x64";

    private static readonly Lazy<byte[]?> Bytes = new(Load);

    /// <summary>The binary, or null when this build carries none.</summary>
    public static byte[]? Get() => Bytes.Value;

    private static byte[]? Load()
    {
        using var stream = typeof(AgentBinary).Assembly.GetManifestResourceStream(ResourceName);
        if (stream is null)
            return null;
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
