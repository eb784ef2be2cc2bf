using System.Globalization;
using System.Text;
using IncusTestKit.Client;
using IncusTestKit.Errors;

namespace IncusTestKit.Files;

/// <summary>Turns an owner as people write it (<c>app</c>, <c>1000</c>, <c>app:staff</c>, <c>1000:50</c>) into ids, from the sandbox's own user database.</summary>
internal static class FileOwners
{
    public static async Task<(uint Uid, uint Gid)> ResolveAsync(IncusClient incus, string instance, string? owner, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(owner) || owner is "root" or "0" or "root:root" or "0:0")
            return (0, 0);
        var colon = owner.IndexOf(':', StringComparison.Ordinal);
        var user = colon < 0 ? owner : owner[..colon];
        var group = colon < 0 ? "" : owner[(colon + 1)..];
        if (user.Length == 0)
            throw new ArgumentException($"The owner '{owner}' names no user; write it as user, uid, user:group or uid:gid.", nameof(owner));

        var passwd = await ReadTableAsync(incus, instance, "/etc/passwd", cancellationToken).ConfigureAwait(false);
        uint uid, gid;
        if (TryParseId(user, out var numericUid))
        {
            // A uid unknown to the sandbox gets a group of the same number, as the exec path does.
            uid = numericUid;
            gid = passwd.FirstOrDefault(f => f[2] == user) is { } known && TryParseId(known[3], out var knownGid) ? knownGid : uid;
        }
        else if (passwd.FirstOrDefault(f => f[0] == user) is { } entry && TryParseId(entry[2], out var entryUid) && TryParseId(entry[3], out var entryGid))
        {
            (uid, gid) = (entryUid, entryGid);
        }
        else
        {
            throw new IncusTestKitException(SandboxErrorCode.InvalidConfiguration,
                $"User '{user}' does not exist in sandbox '{instance}' (not in its /etc/passwd). Use an existing user name or a numeric uid.");
        }
        if (group.Length == 0)
            return (uid, gid);
        if (TryParseId(group, out var numericGid))
            return (uid, numericGid);

        var groups = await ReadTableAsync(incus, instance, "/etc/group", cancellationToken).ConfigureAwait(false);
        if (groups.FirstOrDefault(f => f[0] == group) is { } found && TryParseId(found[2], out var groupGid))
            return (uid, groupGid);
        throw new IncusTestKitException(SandboxErrorCode.InvalidConfiguration,
            $"Group '{group}' does not exist in sandbox '{instance}' (not in its /etc/group). Use an existing group name or a numeric gid.");
    }

    private static async Task<List<string[]>> ReadTableAsync(IncusClient incus, string instance, string path, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await incus.Files.ReadAsync(instance, path, cancellationToken).ConfigureAwait(false);
        }
        catch (PathNotFoundException)
        {
            return [];
        }
        return Encoding.UTF8.GetString(bytes).Split('\n').Select(l => l.Split(':')).Where(f => f.Length >= 4).ToList();
    }

    private static bool TryParseId(string text, out uint id) => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
