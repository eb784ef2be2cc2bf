using System.Security.Cryptography;
using IncusTestKit.Errors;

namespace IncusTestKit.Sandboxes;

/// <summary>Sandbox names: generated ones and the rules every name must follow.</summary>
internal static class SandboxNames
{
    // Lower-case letters and digits only: valid in hostnames and Incus names alike, and unambiguous to read.
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string Generate(string prefix = "sandbox") => $"{prefix}-{RandomNumberGenerator.GetString(Alphabet, 10)}";

    /// <summary>The reason a name is not a valid Incus instance name, or null when it is valid.</summary>
    public static string? Problem(string name)
    {
        if (name.Length is 0 or > 63)
            return "it must be 1 to 63 characters long";
        if (name[0] == '-' || name[^1] == '-')
            return "it must not start or end with a hyphen";
        if (name.All(char.IsAsciiDigit))
            return "it must not be all digits";
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            return "it may only contain ASCII letters, digits and hyphens";
        return null;
    }

    public static void Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Problem(name) is { } problem)
            throw new InvalidNameException($"'{name}' is not a valid sandbox name: {problem} (for example: my-sandbox-1).");
    }

    /// <summary>Refuses a cluster target that cannot name a member (<c>node2</c>) or a group (<c>@gpu</c>).</summary>
    public static void ValidateTarget(string? target)
    {
        if (target is null)
            return;
        var bare = target.StartsWith('@') ? target[1..] : target;
        if (bare.Length is 0 or > 255 || !bare.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new InvalidNameException($"'{target}' is not a cluster target: name a member (node2) or a group with '@' " +
                "(@gpu), in ASCII letters, digits, '-', '_' and '.'. Members: incus cluster list.");
        }
    }
}
