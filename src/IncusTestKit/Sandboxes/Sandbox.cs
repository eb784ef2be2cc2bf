using IncusTestKit.Client;
using IncusTestKit.Client.Models;
using IncusTestKit.Errors;
using IncusTestKit.Exec;

namespace IncusTestKit.Sandboxes;

/// <summary>
/// A handle to one sandbox (an Incus instance). Cheap: it holds a name and what was known at creation; state is
/// read from the daemon on demand. Disposing destroys the sandbox when it was created with
/// <see cref="SandboxOptions.AutoDestroy"/>, and does nothing otherwise. Destroying through a handle deletes only the
/// instance this handle was made for: one with the same name made by another create is left alone.
/// </summary>
public sealed partial class Sandbox : IAsyncDisposable
{
    private readonly SandboxClient _client;
    private readonly OwnedSandbox? _owned;
    private int _destroyed;
    private readonly SemaphoreSlim _agentGate = new(1, 1);
    private DaemonExecChannel? _daemonChannel;
    private AgentExecChannel? _agent;
    private string? _agentUnavailable;

    /// <param name="client">The client it came from.</param>
    /// <param name="instance">The instance as read.</param>
    /// <param name="owned">The client's ownership of it when it is an auto-destroy sandbox; null otherwise.</param>
    /// <param name="ipv4Address">Its address when it became ready.</param>
    internal Sandbox(SandboxClient client, Instance instance, OwnedSandbox? owned, string? ipv4Address)
    {
        _client = client;
        _owned = owned;
        CreateId = instance.Config.GetValueOrDefault(SandboxLabels.CreateId);
        Name = instance.Name;
        Project = client.Project;
        Type = instance.Type == "virtual-machine" ? SandboxType.VirtualMachine : SandboxType.Container;
        Ephemeral = instance.Ephemeral;
        IPv4Address = ipv4Address;
        Labels = SandboxLabels.UserLabelsOf(instance.Config);
        Image = SandboxLabels.ImageOf(instance.Config, aliases: null);
        ExecChannel = SandboxLabels.ExecChannelOf(instance.Config);
    }

    /// <summary>The instance name.</summary>
    public string Name { get; }

    /// <summary>The Incus project it lives in.</summary>
    public string Project { get; }

    /// <summary>Container or virtual machine.</summary>
    public SandboxType Type { get; }

    /// <summary>Whether the daemon deletes it when it stops.</summary>
    public bool Ephemeral { get; }

    /// <summary>Whether disposing this handle (or the process exiting) destroys the sandbox: it was created with
    /// <see cref="SandboxOptions.AutoDestroy"/> and not kept since (<see cref="KeepAsync"/>).</summary>
    public bool AutoDestroy => _owned is not null && Volatile.Read(ref _kept) == 0;

    /// <summary>The image it was created from, as it was named; for an instance IncusTestKit did not create, the image's description (<see cref="GetInfoAsync"/> finds its alias).</summary>
    public string? Image { get; }

    /// <summary>Its IPv4 address when it became ready (null without a network); see <see cref="GetInfoAsync"/> for the current one.</summary>
    public string? IPv4Address { get; }

    /// <summary>How its commands reach it, as it was created (<see cref="SandboxOptions.ExecChannel"/>); <see cref="GetExecChannelAsync"/> says which channel this handle uses.</summary>
    public ExecChannel ExecChannel { get; }

    /// <summary>The user's labels it was created with.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; }

    internal SandboxClient Client => _client;

    /// <summary>The client's ownership of it (an auto-destroy sandbox), or null.</summary>
    internal OwnedSandbox? Owned => _owned;

    /// <summary>The create id in its config (null for an instance IncusTestKit did not make): what tells it from a same-named successor.</summary>
    internal string? CreateId { get; }

    /// <summary>Reads its current run state.</summary>
    /// <exception cref="SandboxNotFoundException">It no longer exists.</exception>
    public async Task<SandboxState> GetStateAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        var state = await _client.Incus.Instances.GetStateAsync(Name, cancellationToken).ConfigureAwait(false);
        return SandboxStates.FromStatusCode(state.StatusCode);
    }

    /// <summary>Reads what it is now: state, address, labels, usage.</summary>
    /// <exception cref="SandboxNotFoundException">It no longer exists.</exception>
    public async Task<SandboxInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        var instance = await _client.Incus.Instances.GetAsync(Name, cancellationToken).ConfigureAwait(false);
        var state = await _client.Incus.Instances.GetStateAsync(Name, cancellationToken).ConfigureAwait(false);
        return SandboxLabels.ToInfo(instance with { State = state }, Project, await _client.ImageAliasesForAsync([instance], cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Starts it; starting a running sandbox does nothing.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        try
        {
            await ChangeStateAsync(new InstanceStatePut("start"), "Starting", cancellationToken).ConfigureAwait(false);
        }
        catch (IncusTestKitException e) when (e.Condition == DaemonCondition.AlreadyRunning)
        {
            return; // Already as asked, overlays included.
        }
        // Overlays live in the container's mount table, which a stop empties.
        await RemountOverlaysAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops it; stopping a stopped sandbox does nothing. An ephemeral sandbox is deleted by the daemon when it stops.</summary>
    /// <param name="force">Kill it at once instead of asking its init to shut down.</param>
    /// <param name="timeout">How long a clean shutdown may take (default: the daemon's, 10 minutes).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="SandboxTimeoutException">A clean shutdown took longer than <paramref name="timeout"/>; it still runs.</exception>
    public Task StopAsync(bool force = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _client.StopInstanceAsync(Name, force, timeout, _client.CallToken(cancellationToken));

    /// <summary>Restarts it (a stopped sandbox is started).</summary>
    /// <param name="force">Kill it instead of a clean shutdown.</param>
    /// <param name="timeout">How long the clean shutdown may take.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task RestartAsync(bool force = false, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        if (await GetStateAsync(cancellationToken).ConfigureAwait(false) == SandboxState.Stopped)
        {
            await StartAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        var body = new InstanceStatePut("restart", Force: force, Timeout: force ? null : SandboxClient.SecondsOrNull(timeout));
        await ChangeStateAsync(body, "Restarting", cancellationToken).ConfigureAwait(false);
        await RemountOverlaysAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Destroys it as <c>incus delete</c> does: deletes it with its snapshots, stopping it first if it runs (killed by
    /// default; with <paramref name="force"/> false, shut down cleanly).
    /// </summary>
    /// <param name="force">Kill it if running (the default: a sandbox is disposable); false shuts it down cleanly first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SandboxNotFoundException">It no longer exists (an instance of the same name made by another create is not it, and is left alone).</exception>
    public async Task DestroyAsync(bool force = true, CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.DestroyInstanceAsync(Name, force, CreateId, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxNotFoundException)
        {
            MarkDestroyed();
            throw;
        }
        MarkDestroyed();
    }

    private Task ChangeStateAsync(InstanceStatePut body, string verb, CancellationToken cancellationToken) =>
        _client.Incus.Instances.ChangeStateAsync(Name, body,
            _client.Incus.Instances.Context($"{verb} sandbox '{Name}'", Name), cancellationToken);

    private void MarkDestroyed()
    {
        Volatile.Write(ref _destroyed, 1);
        CloseAgent();
        if (_owned is not null)
            _client.Ownership.Release(_owned);
    }

    /// <summary>
    /// Destroys the sandbox when it was created with auto-destroy and not kept (within 30 s); a sandbox already gone, or replaced by a
    /// same-named instance of another create, is fine. Its client's dispose and the process's end do the same for a
    /// handle never disposed.
    /// </summary>
    /// <exception cref="IncusTestKitException">It could not be destroyed; it stays owned, so the client's dispose tries again.</exception>
    public async ValueTask DisposeAsync()
    {
        CloseAgent();
        if (_owned is null || !AutoDestroy || Volatile.Read(ref _destroyed) == 1)
            return;
        await _client.Ownership.DestroyAsync(_owned).ConfigureAwait(false);
        Volatile.Write(ref _destroyed, 1);
    }

    // The agent sees its stdin end, kills what still runs and exits; a handle that is not disposed keeps its agent
    // until the process ends.
    private void CloseAgent() => _agent?.Close();

    /// <inheritdoc />
    public override string ToString() => Name;
}
