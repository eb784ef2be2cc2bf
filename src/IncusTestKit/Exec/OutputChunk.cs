namespace IncusTestKit.Exec;

/// <summary>Which stream a piece of output came from.</summary>
public enum OutputSource
{
    /// <summary>Standard output.</summary>
    Stdout,
    /// <summary>Standard error.</summary>
    Stderr,
}

/// <summary>A piece of a command's output, as it arrived. The memory is only valid during the callback.</summary>
/// <param name="Source">Stdout or stderr.</param>
/// <param name="Data">The bytes.</param>
public readonly record struct OutputChunk(OutputSource Source, ReadOnlyMemory<byte> Data);
