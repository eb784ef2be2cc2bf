using System.Diagnostics;
using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Configuration;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;
using IncusTestKit.Exec;
using IncusTestKit.Images;
using IncusTestKit.Mounts;
using IncusTestKit.Shared;

namespace IncusTestKit.Sandboxes;

public sealed partial class SandboxClient
{
    // Quick polls first keep the wait close to the moment DHCP answers; then slower ones, because a state read is
    // costly for the daemon (it forks a helper to read the addresses) and 30 parallel creates polling every 25 ms
    // kept it too busy to start the containers they were waiting for.
    private static readonly TimeSpan FirstReadinessPoll = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan SlowestReadinessPoll = TimeSpan.FromMilliseconds(250);

    private HostResources? _hostResources;

    /// <summary>
    /// Creates a sandbox, starts it and waits until it runs and (when it has a network card) has an address.
    /// Everything is checked before anything is created; a failure after the instance exists deletes it,
    /// except a readiness timeout, which keeps it for inspection and says so. The client owns the sandbox from before
    /// its create request is sent: a cancellation, the client's dispose or the process's end (Ctrl-C, SIGTERM) waits
    /// for the daemon's create operation and deletes what it made.
    /// </summary>
    /// <param name="options">What to create; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the creation (a half-made sandbox is deleted).</param>
    /// <returns>A handle to the running sandbox; dispose it to destroy it when <see cref="SandboxOptions.AutoDestroy"/> is set.</returns>
    /// <exception cref="InvalidNameException">The name, a label key or the cluster target is invalid.</exception>
    /// <exception cref="NameConflictException">An instance with that name exists.</exception>
    /// <exception cref="ImageNotFoundException">The image reference resolves to nothing.</exception>
    /// <exception cref="UnsupportedInstanceTypeException">A VM was asked for on a server without the qemu driver.</exception>
    /// <exception cref="SandboxTimeoutException">It did not become ready in time (it is kept; the message says how to inspect it).</exception>
    /// <exception cref="IncusUnavailableException">The daemon cannot be reached.</exception>
    /// <exception cref="PathNotFoundException">The host folder of a mount does not exist.</exception>
    /// <exception cref="ResourceLimitException">A CPU or memory limit is more than the whole host has.</exception>
    /// <exception cref="MountException">A mount cannot work here or could not be set up (the sandbox is deleted).</exception>
    /// <exception cref="OperationCanceledException">It was cancelled, or abandoned by the client's dispose or the process's end (the sandbox is deleted).</exception>
    /// <exception cref="ObjectDisposedException">The client is disposed.</exception>
    /// <exception cref="IncusTestKitException">With <see cref="SandboxErrorCode.InvalidTarget"/>: the cluster target names no
    /// member or group, or the server is not a cluster.</exception>
    /// <exception cref="UnsafeProfileException">The profiles make it privileged or add raw or nesting settings, and
    /// <see cref="SandboxOptions.AllowUnsafeProfiles"/> is not set.</exception>
    public Task<Sandbox> CreateAsync(SandboxOptions? options = null, CancellationToken cancellationToken = default) =>
        CreateCoreAsync(options ?? new SandboxOptions(), ownLabels: null, mayDestroy: null, this.CallToken(cancellationToken));

    /// <summary>
    /// <see cref="CreateAsync(SandboxOptions?, CancellationToken)"/> with IncusTestKit's own labels added to the config
    /// (<c>user.isb.*</c> keys, which users may not set) and a guard its ownership asks before deleting it once it is
    /// ready (see <see cref="OwnedSandbox.MayDestroy"/>).
    /// </summary>
    internal async Task<Sandbox> CreateCoreAsync(SandboxOptions options, IReadOnlyDictionary<string, string>? ownLabels,
        Func<CancellationToken, Task<bool>>? mayDestroy, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var name = options.Name ?? SandboxNames.Generate();
        SandboxNames.Validate(name);
        SandboxLabels.Validate(options.Labels);
        var type = options.Type ?? _options.DefaultType;
        var image = ImageReference.Parse(options.Image ?? DefaultImage);
        var context = Incus.Instances.Context($"Creating sandbox '{name}'", name) with { Image = image.ToString(), Target = options.Target };
        if (!Enum.IsDefined(options.Network))
            throw new ArgumentOutOfRangeException(nameof(options), options.Network, "SandboxOptions.Network must be Default or None.");
        SandboxNames.ValidateTarget(options.Target);
        var mounts = (options.Mounts ?? []).Select(m => HostMounts.Validate(m, type, Endpoint)).ToList();
        HostMounts.EnsureDistinctTargets(mounts);
        Log.CreatingSandbox(Logger, name, image);

        if (type == SandboxType.VirtualMachine)
            await EnsureVirtualMachinesAsync(cancellationToken).ConfigureAwait(false);
        // The checks are independent reads: run them together.
        var exists = ExistsAsync(name, cancellationToken);
        var resolving = ResolveImageAsync(image, type, cancellationToken);
        var profiles = Incus.Profiles.GetAllAsync(options.Profiles, cancellationToken);
        var shifting = mounts.Count > 0 ? HostMounts.SupportsShiftAsync(Incus, cancellationToken) : Task.FromResult(false);
        var fitting = EnsureLimitsFitHostAsync(options.Limits, cancellationToken);
        if (await exists.ConfigureAwait(false))
            throw IncusErrorMapper.Create(DaemonCondition.InstanceExists, context);
        var source = await resolving.ConfigureAwait(false);
        await fitting.ConfigureAwait(false);
        var profileList = await profiles.ConfigureAwait(false);
        if (!options.AllowUnsafeProfiles && ProfileSafety.Check(profileList) is { Count: > 0 } findings)
            throw ProfileSafety.Refusal(findings, name);

        var createId = SandboxNames.Generate("c")[2..];
        var body = new InstancesPost
        {
            Name = name,
            Type = type == SandboxType.VirtualMachine ? "virtual-machine" : "container",
            Source = source,
            Start = true,
            Ephemeral = options.Ephemeral,
            Profiles = options.Profiles,
            Config = BuildConfig(options, image, createId, ownLabels),
            Devices = BuildDevices(options, profileList),
        };
        var canShift = await shifting.ConfigureAwait(false);
        var mountPlans = mounts.Select(m => HostMounts.Build(m, type, canShift)).ToList();
        foreach (var plan in mountPlans)
        {
            body.Devices[plan.Info.DeviceName] = plan.Device;
            body.Config[plan.LabelKey] = plan.Label;
        }
        if (type == SandboxType.Container && (options.DenySetuidFiles || mounts.Any(m => m.Mode == MountMode.ReadWrite)))
            body.Config[SetuidGuard.ConfigKey] = SetuidGuard.Merge(SetuidGuard.FromProfiles(profileList));

        // Owned before the request is sent: from here on a cancellation, the client's dispose or the process's end
        // (Ctrl-C, SIGTERM) deletes whatever the request made.
        var owned = Ownership.Reserve(name, createId);
        owned.MayDestroy = mayDestroy;
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        owned.Attach(abandon);
        try
        {
            var sandbox = await CreateOwnedAsync(owned, body, context, options, mountPlans, stopwatch, abandon.Token).ConfigureAwait(false);
            Log.SandboxCreated(Logger, name, Log.Milliseconds(stopwatch.Elapsed));
            if (options.AutoDestroy)
            {
                owned.MarkCreated();
                SweepLeftoversOnce();
            }
            else
                Ownership.Release(owned);
            return sandbox;
        }
        catch (SandboxTimeoutException e)
        {
            Log.CreateFailed(Logger, name, Log.Milliseconds(stopwatch.Elapsed), e);
            Ownership.Release(owned); // Kept for inspection, as its message says.
            throw;
        }
        catch (IncusUnavailableException e)
        {
            Log.CreateFailed(Logger, name, Log.Milliseconds(stopwatch.Elapsed), e);
            // Nothing can be deleted now; if the request may have arrived, the client's dispose or the exit tries again.
            if (owned.Stage == OwnedStage.Reserved)
                Ownership.Release(owned);
            throw;
        }
        catch (Exception e)
        {
            Log.CreateFailed(Logger, name, Log.Milliseconds(stopwatch.Elapsed), e);
            try
            {
                await Ownership.DestroyAsync(owned).ConfigureAwait(false);
            }
            catch (Exception cleanup)
            {
                // The original failure is what the caller needs; the sandbox stays owned, so the client's dispose or the
                // process's end tries again and reports it.
                Log.CleanupFailed(Logger, name, cleanup);
            }
            throw;
        }
        finally
        {
            owned.Detach();
        }
    }

    private async Task<Sandbox> CreateOwnedAsync(OwnedSandbox owned, InstancesPost body, IncusErrorContext context, SandboxOptions options,
        List<HostMounts.Plan> mountPlans, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        owned.BeginPost();
        // The request itself is not cancelled: once sent, only its answer (the operation) tells a cleanup when the
        // instance exists, so a delete cannot come before it. A cancellation stops waiting for it, not the request.
        var bound = new CancellationTokenSource(SandboxOwnership.CleanupBound);
        var request = Incus.Instances.StartCreateAsync(body, options.Target, context, bound.Token);
        _ = request.ContinueWith(t =>
        {
            owned.Posted(t.IsCompletedSuccessfully ? t.Result.Id : null);
            bound.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var operation = await request.WaitAsync(cancellationToken).ConfigureAwait(false);
        await Incus.Operations.WaitAsync(operation.Id, context, cancellationToken).ConfigureAwait(false);
        var instance = await Incus.Instances.GetAsync(owned.Name, cancellationToken).ConfigureAwait(false);
        // A profile edited between the check and the creation is caught here, on what the daemon applied.
        if (!options.AllowUnsafeProfiles && ProfileSafety.Check(instance.ExpandedConfig) is { Count: > 0 } applied)
            throw ProfileSafety.Refusal(applied, owned.Name);
        if (body.Config.ContainsKey(SetuidGuard.ConfigKey) && !SetuidGuard.Guards(instance.ExpandedConfig))
            throw SetuidGuard.Replaced(owned.Name);

        string? address;
        try
        {
            address = await WaitUntilReadyAsync(instance, options.Timeout, options.Timeout - stopwatch.Elapsed, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxTimeoutException)
        {
            // Kept for inspection, as its message says: no longer a leftover to reap once this process is gone.
            await DisownAsync(instance).ConfigureAwait(false);
            throw;
        }
        var sandbox = new Sandbox(this, instance, options.AutoDestroy ? owned : null, address);
        foreach (var plan in mountPlans.Where(p => p.IsOverlay))
            await HostMounts.MountOverlayAsync(sandbox, plan.Info, cancellationToken).ConfigureAwait(false);
        foreach (var plan in mountPlans.Where(p => p.Info.Mode == MountMode.ReadWrite && body.Type == "container"))
            await HostMounts.EnsureWritableAsync(sandbox, instance, plan.Info, cancellationToken).ConfigureAwait(false);
        return sandbox;
    }

    /// <summary>
    /// Removes the owner label of a sandbox kept for inspection, so it outlives this process (see <see cref="LeftoverReaper"/>);
    /// a failure is logged, not thrown, since the create's own error is what the caller needs.
    /// </summary>
    private async Task DisownAsync(Instance instance)
    {
        if (!instance.Config.ContainsKey(SandboxLabels.Owner))
            return;
        var patch = new InstancePatch { Config = new() { [SandboxLabels.Owner] = "" }, Description = instance.Description };
        try
        {
            await Incus.Instances.PatchAsync(instance.Name, patch, Incus.Instances.Context($"Keeping sandbox '{instance.Name}' for inspection", instance.Name),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.DisownFailed(Logger, instance.Name, e);
        }
    }

    private async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await Incus.Instances.GetStateAsync(name, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SandboxNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// A limit above what the whole host has can never bind: it is a typo (TB for MB), and for a VM a size the host
    /// cannot give. It is refused before anything is created. The host's resources are read once per client.
    /// </summary>
    private async Task EnsureLimitsFitHostAsync(SandboxLimits limits, CancellationToken cancellationToken)
    {
        var memory = limits.Memory is { } text ? ByteSizes.ToBytes(ByteSizes.Validate(text, "Limits.Memory", allowPercent: true)) : null;
        if (limits.Cpu is null && memory is null)
            return;
        var host = _hostResources ??= await Incus.Server.GetResourcesAsync(cancellationToken).ConfigureAwait(false);
        if (limits.Cpu is { } cpu && host.Cpus > 0 && cpu > host.Cpus)
        {
            throw new ResourceLimitException(
                $"The CPU limit {cpu} is more than this Incus host has ({host.Cpus} CPUs). Give at most {host.Cpus}, or no CPU limit.");
        }
        if (memory is { } bytes && host.MemoryBytes > 0 && bytes > host.MemoryBytes)
        {
            throw new ResourceLimitException(
                $"The memory limit {limits.Memory} is more than this Incus host has ({(host.MemoryBytes / (double)(1L << 30)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} GiB). " +
                "Give a smaller limit (such as 512MiB or 2GiB), a percentage of the host (such as 25%), or no memory limit.");
        }
    }

    private async Task EnsureVirtualMachinesAsync(CancellationToken cancellationToken)
    {
        var server = await GetServerInfoAsync(cancellationToken).ConfigureAwait(false);
        if (!server.SupportsVirtualMachines)
        {
            throw new UnsupportedInstanceTypeException(
                $"This Incus server cannot run virtual machines: its instance drivers are '{server.Driver}' (no qemu; the host needs KVM, /dev/kvm and vhost_vsock). " +
                "Use a container (the default) or a server with KVM.");
        }
    }

    /// <summary>
    /// Local images are resolved here so a missing one fails before anything is created (the daemon would only
    /// fail inside the operation). Public simplestreams remotes are fetched by the daemon itself, as the incus CLI does.
    /// </summary>
    private async Task<InstanceSource> ResolveImageAsync(ImageReference image, SandboxType type, CancellationToken cancellationToken)
    {
        if (!image.IsLocal)
        {
            var remote = _remotes.Find(image.Remote!) ?? throw new ImageNotFoundException(
                $"Image '{image}' names the remote '{image.Remote}', which the Incus client does not know (known: {string.Join(", ", _remotes.Names)}). Add it with 'incus remote add' or use a local alias.");
            if (remote.Protocol != "simplestreams")
            {
                throw new IncusTestKitException(SandboxErrorCode.InvalidConfiguration,
                    $"Image '{image}' is on the remote '{remote.Name}' ({remote.Address}, protocol {remote.Protocol}); only simplestreams remotes and local images are supported in this version. " +
                    $"Copy it locally first: incus image copy {image} local: --alias {image.Name}");
            }
            return new InstanceSource { Alias = image.Name, Server = remote.Address, Protocol = "simplestreams", Mode = "pull" };
        }

        var alias = await Incus.Images.TryGetAliasAsync(image.Name, cancellationToken).ConfigureAwait(false);
        var fingerprint = alias?.Target;
        var found = await Incus.Images.TryGetAsync(fingerprint ?? image.Name, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            throw new ImageNotFoundException(
                $"Image '{image}' was not found in project '{Project}': no local alias or fingerprint matches it. " +
                $"List local images with 'incus image list'; to have this one, {SetupSteps.GetImage(image.Name)}.");
        }
        var wanted = type == SandboxType.VirtualMachine ? "virtual-machine" : "container";
        if (found.Type.Length > 0 && found.Type != wanted)
        {
            throw new UnsupportedInstanceTypeException(
                $"Image '{image}' is a {found.Type} image and cannot start a {wanted}. Pick an image of the right type.");
        }
        return new InstanceSource { Fingerprint = found.Fingerprint };
    }

    private static Dictionary<string, string> BuildConfig(SandboxOptions options, ImageReference image, string createId, IReadOnlyDictionary<string, string>? ownLabels)
    {
        var config = options.Labels.ToDictionary(kv => SandboxLabels.UserPrefix + kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (key, value) in ownLabels ?? new Dictionary<string, string>())
            config[key] = value;
        config[SandboxLabels.Managed] = "true";
        config[SandboxLabels.Session] = SandboxLabels.SessionId;
        config[SandboxLabels.CreateId] = createId;
        config[SandboxLabels.Image] = image.ToString();
        config[SandboxLabels.AutoDestroy] = options.AutoDestroy ? "true" : "false";
        if (options.ExecChannel != ExecChannel.Daemon)
            config[SandboxLabels.ExecChannel] = options.ExecChannel == ExecChannel.Agent ? "agent" : "auto";
        // From before its request is sent, so a half-made one of a killed process is reaped too. Not on a sandbox to keep:
        // taking the label off once it is made would cost every such create a full instance update in the daemon (90 to
        // 200 ms measured here), so a kill during that create leaves it, as before, for 'dotnet isb destroy'.
        if (options.AutoDestroy && OwnerProcess.CurrentValue is { } owner)
            config[SandboxLabels.Owner] = owner;
        if (options.Limits.Cpu is { } cpu)
        {
            if (cpu < 1)
                throw new ArgumentOutOfRangeException(nameof(options), cpu, "Limits.Cpu must be at least 1.");
            config["limits.cpu"] = cpu.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (options.Limits.Memory is { } memory)
            config["limits.memory"] = ByteSizes.Validate(memory, "Limits.Memory", allowPercent: true);
        if (options.Limits.Processes is { } processes)
        {
            if (processes < 1)
                throw new ArgumentOutOfRangeException(nameof(options), processes, "Limits.Processes must be at least 1 (null for no limit).");
            config["limits.processes"] = processes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return config;
    }

    // A disk size needs the root device spelled out, on the pool the profiles would have used. No network replaces
    // each of the profiles' NICs by a device of type none under the same name, which removes it from the instance.
    private static Dictionary<string, Dictionary<string, string>> BuildDevices(SandboxOptions options, IEnumerable<Profile> profiles)
    {
        var devices = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        if (options.Network == SandboxNetwork.None)
        {
            foreach (var nic in ProfilesApi.FindNics(profiles))
                devices[nic] = new Dictionary<string, string>(StringComparer.Ordinal) { ["type"] = "none" };
        }
        if (options.Limits.Disk is not { } disk)
            return devices;
        var size = ByteSizes.Validate(disk, "Limits.Disk", allowPercent: false);
        if (ProfilesApi.FindRootDisk(profiles) is { } root)
            devices[root.Name] = new Dictionary<string, string>(root.Device, StringComparer.Ordinal) { ["size"] = size };
        return devices;
    }

    private async Task<string?> WaitUntilReadyAsync(Instance instance, TimeSpan total, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var needsAddress = instance.ExpandedDevices.Values.Any(d => d.GetValueOrDefault("type") == "nic");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout > TimeSpan.Zero)
            deadline.CancelAfter(timeout);
        else
            deadline.Cancel(); // at once: a zero delay would only be noticed by a timer, after the first read
        var polls = 0;
        var pause = FirstReadinessPoll;
        InstanceState? state = null;
        try
        {
            while (true)
            {
                // Each read is bounded by the daemon timeout, not by this deadline (which is checked between reads):
                // a daemon that stops answering is reported as that, not as a sandbox that never became ready.
                deadline.Token.ThrowIfCancellationRequested();
                state = await Incus.Instances.GetStateAsync(instance.Name, cancellationToken).ConfigureAwait(false);
                var running = SandboxStates.FromStatusCode(state.StatusCode) == SandboxState.Running;
                var address = SandboxStates.GlobalIPv4(state);
                if (running && (!needsAddress || address is not null))
                    return address;
                if (SandboxStates.FromStatusCode(state.StatusCode) is SandboxState.Stopped or SandboxState.Error && state.Pid == 0 && ++polls > 20)
                {
                    throw new IncusTestKitException(SandboxErrorCode.OperationFailed,
                        $"Sandbox '{instance.Name}' stopped right after it started (status {state.Status}): its image's init exits or fails. See: incus info {instance.Name} --show-log");
                }
                await Task.Delay(pause, deadline.Token).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 5 / 4, SlowestReadinessPoll.Ticks));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var what = state is null || SandboxStates.FromStatusCode(state.StatusCode) != SandboxState.Running
                ? $"was not running (status {state?.Status ?? "unknown"})"
                : "got no network address (its image may not run DHCP on eth0)";
            throw new SandboxTimeoutException(
                $"Sandbox '{instance.Name}' {what} within {total.TotalSeconds:0.#} s. It is kept for inspection: " +
                $"incus info {instance.Name} --show-log; destroy it with: dotnet isb destroy {instance.Name}");
        }
    }
}
