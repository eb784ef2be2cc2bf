namespace IncusTestKit.Errors;

/// <summary>The operation needs a running sandbox, and this one is stopped or frozen.</summary>
public sealed class SandboxNotRunningException : IncusTestKitException
{
    /// <summary>Creates the error for the sandbox <paramref name="name"/>.</summary>
    public SandboxNotRunningException(string name, string message)
        : base(SandboxErrorCode.SandboxNotRunning, message)
    {
        Name = name;
    }

    /// <summary>The sandbox that is not running.</summary>
    public string Name { get; }
}
