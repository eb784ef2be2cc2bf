namespace IncusTestKit.Errors;

/// <summary>
/// The profiles would give the sandbox a setting that weakens its isolation from the host (privileged, nesting, or a
/// raw LXC, idmap, AppArmor, seccomp or QEMU setting), and the caller did not opt in.
/// </summary>
public sealed class UnsafeProfileException : IncusTestKitException
{
    /// <summary>Creates the error; <paramref name="message"/> should name the profile, the key and the fix.</summary>
    public UnsafeProfileException(string message, string profile, string key, Exception? innerException = null)
        : base(SandboxErrorCode.UnsafeProfile, message, innerException)
    {
        Profile = profile;
        Key = key;
    }

    /// <summary>The profile that sets <see cref="Key"/> (or <c>expanded config</c> when found on the created instance).</summary>
    public string Profile { get; }

    /// <summary>The first unsafe config key, such as <c>security.privileged</c>.</summary>
    public string Key { get; }
}
