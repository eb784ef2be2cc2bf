namespace IncusTestKit.Errors;

/// <summary>No sandbox (Incus instance) with the given name exists in the project.</summary>
public sealed class SandboxNotFoundException : IncusTestKitException
{
    /// <summary>Creates the error for the sandbox <paramref name="name"/>.</summary>
    public SandboxNotFoundException(string name, string message)
        : base(SandboxErrorCode.SandboxNotFound, message)
    {
        Name = name;
    }

    /// <summary>The name that was looked up.</summary>
    public string Name { get; }
}
