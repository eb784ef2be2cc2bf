using IncusTestKit.Client.Models;
using IncusTestKit.Errors;
using IncusTestKit.Mounts;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    /// <summary>
    /// Mounts a host folder into the sandbox. <see cref="MountMode.Overlay"/> (the default) lets the sandbox change
    /// what it sees while the host folder stays untouched, and needs a running container; read-only and
    /// read-write mounts also work on a stopped sandbox. The folder's files keep their host owners inside when the
    /// server has idmapped mounts, except in a read-write mount: there root in a container writes as its unprivileged
    /// host uid (never as host root), so the host folder must be writable for that uid; on a running container this is
    /// checked. A read-write mount also needs the container to run under a rule that keeps it from making setuid and
    /// setgid files (see <see cref="SandboxOptions.DenySetuidFiles"/>): a stopped container gets it from its next start; a
    /// running one must have started with it.
    /// </summary>
    /// <param name="options">The host folder, the target inside and the mode.</param>
    /// <param name="cancellationToken">Cancels the call (a half-made mount is removed).</param>
    /// <returns>The mount, with the name of its Incus device.</returns>
    /// <exception cref="PathNotFoundException">The host folder does not exist.</exception>
    /// <exception cref="MountException">The daemon or the mount command refused it (the message holds their words), the target
    /// already has a mount of ours, an overlay was asked for a virtual machine or on a server without idmapped mounts,
    /// the source is a system folder (see <see cref="MountOptions.AllowDangerousSource"/>), or a read-write mount's
    /// folder is not writable for the sandbox's unprivileged host uid (the message says how to grant it), or a read-write mount
    /// was asked of a running container that started without <see cref="SandboxOptions.DenySetuidFiles"/>.</exception>
    /// <exception cref="SandboxNotRunningException">An overlay was asked for a stopped sandbox.</exception>
    public async Task<MountInfo> MountAsync(MountOptions options, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        var mount = HostMounts.Validate(options, Type, _client.Endpoint);
        var incus = _client.Incus;
        var shifting = HostMounts.SupportsShiftAsync(incus, cancellationToken);
        var instance = await incus.Instances.GetAsync(Name, cancellationToken).ConfigureAwait(false);
        var plan = HostMounts.Build(mount, Type, await shifting.ConfigureAwait(false));
        var running = SandboxStates.FromStatusCode(instance.State?.StatusCode ?? instance.StatusCode) == SandboxState.Running;
        if (HostMounts.Read(instance).FirstOrDefault(m => m.Target == mount.Target) is { } taken)
        {
            throw new MountException(
                $"Sandbox '{Name}' already has a mount at '{mount.Target}' (of '{taken.Source}'). Unmount it first: UnmountAsync(\"{mount.Target}\").");
        }
        if (plan.IsOverlay && !running)
        {
            throw new SandboxNotRunningException(Name,
                $"An overlay mount is made inside the running sandbox, and '{Name}' is not running. Start it first (dotnet isb start {Name}), or mount ReadOnly or ReadWrite.");
        }

        var what = $"Mounting '{mount.Source}' at '{mount.Target}' in sandbox '{Name}'";
        var patch = new InstancePatch
        {
            Config = new Dictionary<string, string>(StringComparer.Ordinal) { [plan.LabelKey] = plan.Label },
            Devices = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal) { [plan.Info.DeviceName] = plan.Device },
            Description = instance.Description,
        };
        if (mount.Mode == MountMode.ReadWrite && Type == SandboxType.Container && !SetuidGuard.Guards(instance.ExpandedConfig))
        {
            if (SetuidGuard.IsReplaced(instance.ExpandedConfig))
                throw SetuidGuard.Replaced(Name);
            if (running)
                throw SetuidGuard.NotInForce(Name, mount.Source);
            patch.Config[SetuidGuard.ConfigKey] = SetuidGuard.Merge(instance.ExpandedConfig.GetValueOrDefault(SetuidGuard.ConfigKey));
        }
        try
        {
            await incus.Instances.PatchAsync(Name, patch, incus.Instances.Context(what, Name), cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException e) when (e is not SandboxNotFoundException and not IncusUnavailableException)
        {
            throw new MountException($"{what} failed: {e.DaemonMessage ?? e.Message}", e) { DaemonMessage = e.DaemonMessage };
        }
        if (!plan.IsOverlay && !(running && mount.Mode == MountMode.ReadWrite && Type == SandboxType.Container))
            return plan.Info;

        try
        {
            if (plan.IsOverlay)
                await HostMounts.MountOverlayAsync(this, plan.Info, cancellationToken).ConfigureAwait(false);
            else
                await HostMounts.EnsureWritableAsync(this, instance, plan.Info, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not IncusUnavailableException)
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await RemoveMountAsync(plan.Info, cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception cleanupError) when (cleanupError is IncusTestKitException or OperationCanceledException)
            {
                // Best effort: the mount failure is what the caller needs to see.
            }
            throw;
        }
        return plan.Info;
    }

    /// <summary>
    /// Removes a mount made by IncusTestKit: for an overlay, everything written through it is discarded (the host
    /// folder never had it); for read-write, what was written stays on the host.
    /// </summary>
    /// <param name="target">The mount's target inside the sandbox.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="MountException">No IncusTestKit mount has that target (<see cref="SandboxErrorCode.MountNotFound"/>; see <see cref="ListMountsAsync"/>).</exception>
    /// <exception cref="MountException">The daemon or the unmount command refused.</exception>
    public async Task UnmountAsync(string target, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        var normalized = HostMounts.NormalizeTarget(target, nameof(target));
        var instance = await _client.Incus.Instances.GetAsync(Name, cancellationToken).ConfigureAwait(false);
        var mount = HostMounts.Read(instance).FirstOrDefault(m => m.Target == normalized) ?? throw new MountException(SandboxErrorCode.MountNotFound,
            $"Sandbox '{Name}' has no IncusTestKit mount at '{normalized}'. See its mounts with ListMountsAsync (only mounts made by IncusTestKit can be unmounted here).");
        await RemoveMountAsync(mount, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the host-folder mounts IncusTestKit made in the sandbox (other disk devices are not included), by target.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<MountInfo>> ListMountsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        var instance = await _client.Incus.Instances.GetAsync(Name, cancellationToken).ConfigureAwait(false);
        return HostMounts.Read(instance);
    }

    /// <summary>
    /// Mounts again the overlays of a running sandbox whose mounts went with its processes (after a restore, a
    /// restart or a start); their writes are kept on its root filesystem. Does nothing for a stopped sandbox.
    /// </summary>
    internal async Task RemountOverlaysAsync(CancellationToken cancellationToken)
    {
        var instance = await _client.Incus.Instances.GetAsync(Name, cancellationToken).ConfigureAwait(false);
        if (SandboxStates.FromStatusCode(instance.State?.StatusCode ?? instance.StatusCode) != SandboxState.Running)
            return;
        foreach (var mount in HostMounts.Read(instance).Where(m => m.Mode == MountMode.Overlay))
            await HostMounts.MountOverlayAsync(this, mount, cancellationToken).ConfigureAwait(false);
    }

    private async Task RemoveMountAsync(MountInfo mount, CancellationToken cancellationToken)
    {
        var incus = _client.Incus;
        var what = $"Unmounting '{mount.Target}' in sandbox '{Name}'";
        var overlay = mount.Mode == MountMode.Overlay;
        var running = await GetStateAsync(cancellationToken).ConfigureAwait(false) == SandboxState.Running;
        // The overlay goes before its lower device, or the device could not be detached cleanly.
        if (overlay && running)
            await HostMounts.UnmountOverlayAsync(this, mount, cancellationToken).ConfigureAwait(false);
        try
        {
            await incus.Instances.UpdateAsync(Name, current =>
            {
                if (!current.Devices.ContainsKey(mount.DeviceName) && !current.Config.ContainsKey(HostMounts.LabelPrefix + mount.DeviceName))
                    return null;
                var body = InstancePut.From(current);
                body.Devices.Remove(mount.DeviceName);
                body.Config.Remove(HostMounts.LabelPrefix + mount.DeviceName);
                return body;
            }, incus.Instances.Context(what, Name), cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException e) when (e is not SandboxNotFoundException and not IncusUnavailableException)
        {
            throw new MountException($"{what} failed: {e.DaemonMessage ?? e.Message}", e) { DaemonMessage = e.DaemonMessage };
        }
        if (overlay)
        {
            try
            {
                await HostMounts.RemoveOverlayDirectoriesAsync(this, mount, cancellationToken).ConfigureAwait(false);
            }
            catch (IncusTestKitException e) when (e is not SandboxNotFoundException and not IncusUnavailableException)
            {
                throw new MountException(
                    $"The overlay at '{mount.Target}' in sandbox '{Name}' was unmounted, but the writes kept for it could not be deleted: {e.Message}", e);
            }
        }
    }
}
