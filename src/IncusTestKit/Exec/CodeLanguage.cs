namespace IncusTestKit.Exec;

/// <summary>A language <c>RunCodeAsync</c> can run, with the interpreter it needs in the image.</summary>
public enum CodeLanguage
{
    /// <summary>Python 3 (<c>python3</c>).</summary>
    Python,
    /// <summary>JavaScript on Node.js (<c>node</c>).</summary>
    Node,
    /// <summary>Bash (<c>bash</c>).</summary>
    Bash,
    /// <summary>Ruby (<c>ruby</c>).</summary>
    Ruby,
    /// <summary>Go (<c>go run</c>); the image needs the Go toolchain (<c>build/bootstrap.sh --with-go</c>).</summary>
    Go,
}
