namespace IncusTestKit.Files;

/// <summary>How <see cref="SandboxFileSystem.ReadFileAsync(string, ReadEncoding, CancellationToken)"/> turns a file's bytes into text.</summary>
public enum ReadEncoding
{
    /// <summary>Decode the bytes as UTF-8 (invalid sequences become U+FFFD).</summary>
    Utf8,

    /// <summary>Return the exact bytes as Base64, for binary files.</summary>
    Base64,
}
