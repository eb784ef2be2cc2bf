using System.Globalization;
using IncusTestKit.Sandboxes;

namespace IncusTestKit.Sharing;

/// <summary>
/// Who still holds a shared sandbox, judged from its config on this machine. A lease counts while its holder is seen
/// alive here; a holder provably gone does not count; a holder this machine cannot judge (another host, another pid
/// namespace, no <c>/proc</c>) counts until the sandbox's time-to-live ends.
/// </summary>
internal sealed record SharedHolders(int Live, IReadOnlyList<int> GonePids, int Leases, bool Expired)
{
    /// <summary>Judges every lease of <paramref name="config"/> but <paramref name="exceptLease"/> (the caller's own).</summary>
    public static SharedHolders Of(IReadOnlyDictionary<string, string> config, DateTimeOffset now, string? exceptLease = null)
    {
        var expired = IsExpired(config, now);
        var live = 0;
        var leases = 0;
        var gone = new List<int>();
        foreach (var (key, value) in config)
        {
            if (!key.StartsWith(SharedLabels.LeasePrefix, StringComparison.Ordinal) || key == exceptLease || value.Length == 0)
                continue;
            leases++;
            var holder = OwnerProcess.TryParse(value);
            if (holder?.Verdict() is not null)
                gone.Add(holder.Pid);
            else if (holder?.IsSeenAlive() == true || !expired)
                live++;
        }
        return new SharedHolders(live, gone, leases, expired);
    }

    /// <summary>Whether it is past its time-to-live; a missing or unreadable expiry counts as past.</summary>
    public static bool IsExpired(IReadOnlyDictionary<string, string> config, DateTimeOffset now) =>
        !long.TryParse(config.GetValueOrDefault(SharedLabels.Expires), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
        || now.ToUnixTimeSeconds() >= expires;

    /// <summary>Why the sandbox is a leftover (nobody holds it any more), or null while someone does.</summary>
    public string? LeftoverReason() => Live > 0 ? null : (GonePids.Count, Leases) switch
    {
        (0, 0) => "it was shared, and nobody holds it any more",
        var (g, l) when g == l => $"it was shared, and every process that held it has ended ({string.Join(", ", GonePids.Order())})",
        _ => "it was shared, its time-to-live has ended, and no process that holds it is seen alive on this machine",
    };
}
