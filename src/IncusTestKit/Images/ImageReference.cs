using IncusTestKit.Errors;

namespace IncusTestKit.Images;

/// <summary>
/// An image as a user writes it: a local alias (<c>isb/busybox</c>), a fingerprint or its prefix, or
/// <c>remote:alias</c> (<c>images:debian/12</c>) naming a remote of the Incus client.
/// </summary>
internal sealed record ImageReference(string? Remote, string Name)
{
    public bool IsLocal => Remote is null or "local";

    public static ImageReference Parse(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var text = reference.Trim();
        if (text.Length == 0)
            throw new ImageNotFoundException("The image reference is empty. Give an alias (isb/busybox), a fingerprint, or remote:alias (images:debian/12).");

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
            return new ImageReference(null, text);

        var remote = text[..colon];
        var name = text[(colon + 1)..];
        if (remote.Length == 0 || name.Length == 0)
        {
            throw new ImageNotFoundException(
                $"The image reference '{reference}' is incomplete: write remote:alias (images:debian/12) or a local alias (isb/busybox).");
        }
        return new ImageReference(remote, name);
    }

    public override string ToString() => Remote is null ? Name : $"{Remote}:{Name}";
}
