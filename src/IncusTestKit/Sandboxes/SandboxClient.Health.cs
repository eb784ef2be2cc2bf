using System.Text.Json;
using IncusTestKit.Client;
using IncusTestKit.Diagnostics;
using IncusTestKit.Errors;

namespace IncusTestKit.Sandboxes;

public sealed partial class SandboxClient
{
    private static readonly string[] RequiredExtensions =
        ["instance_create_start", "container_exec_recording", "container_exec_signal_handling", "container_exec_user_group_cwd", "instance_file_head", "operation_wait"];

    /// <summary>
    /// Checks everything a sandbox needs (socket, permissions, daemon, storage, network, profile, default image) and
    /// what some features need (idmapped mounts for overlay mounts, KVM for VMs). Never throws for a failed check:
    /// each result says what is wrong and how to fix it.
    /// </summary>
    public async Task<IReadOnlyList<HealthCheck>> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken = this.CallToken(cancellationToken);
        var checks = new List<HealthCheck>();
        IncusServerInfo server;
        try
        {
            server = await GetServerInfoAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IncusUnavailableException e) when (Endpoint.IsRemote)
        {
            // A remote server: no socket file nor group, but an address, certificates and trust, each with its fix in the message.
            checks.Add(e.Reason is IncusUnavailableReason.NotAnswering
                ? new HealthCheck("server", CheckStatus.Failed, $"{Endpoint} does not answer", e.Message)
                : new HealthCheck("certificates", CheckStatus.Failed, e.Reason.ToString(), e.Message));
            return checks;
        }
        catch (IncusUnavailableException e)
        {
            checks.Add(e.Reason == IncusUnavailableReason.SocketMissing
                ? new HealthCheck("socket", CheckStatus.Failed, $"{Endpoint} does not exist", $"Incus is not installed or not started: {SetupSteps.FromScratch}. Or point INCUS_SOCKET at the right socket")
                : new HealthCheck("socket", CheckStatus.Ok, $"{Endpoint} exists"));
            checks.Add(e.Reason == IncusUnavailableReason.PermissionDenied
                ? new HealthCheck("permissions", CheckStatus.Failed, "this user may not open the socket", $"Run as root, or join the socket's group (usually incus-admin): {SetupSteps.JoinGroup}")
                : NotAnswering(e));
            return checks;
        }

        try
        {
            await CheckServerAsync(server, checks, cancellationToken).ConfigureAwait(false);
        }
        catch (IncusUnavailableException e)
        {
            // The daemon answered the first question and then stopped: say so rather than throw.
            checks.Add(NotAnswering(e));
        }
        return checks;
    }

    private static HealthCheck NotAnswering(IncusUnavailableException e) => e.Waited is { } waited
        ? new HealthCheck("daemon", CheckStatus.Failed, $"did not answer within {waited.TotalSeconds:0.###} s (stuck or overloaded)",
            $"Check it with 'incus info'; restart it ({SetupSteps.Restart}); give a slow daemon longer with DaemonTimeout (--daemon-timeout, ISB_DAEMON_TIMEOUT)")
        : new HealthCheck("daemon", CheckStatus.Failed, "not answering", $"Start the daemon: {SetupSteps.Restart}");

    private async Task CheckServerAsync(IncusServerInfo server, List<HealthCheck> checks, CancellationToken cancellationToken)
    {
        if (Endpoint.IsRemote)
        {
            checks.Add(new HealthCheck("server", CheckStatus.Ok, Endpoint.ToString()));
            checks.Add(new HealthCheck("certificates", CheckStatus.Ok, "the server's certificate is verified and it trusts this client"));
        }
        else
        {
            checks.Add(new HealthCheck("socket", CheckStatus.Ok, Endpoint.ToString()));
            checks.Add(new HealthCheck("permissions", CheckStatus.Ok, "the socket accepts this user"));
        }
        var missing = RequiredExtensions.Except(server.ApiExtensions).ToList();
        checks.Add(missing.Count == 0
            ? new HealthCheck("daemon", CheckStatus.Ok, $"Incus {server.ServerVersion}, API {server.ApiVersion}, project '{Project}'")
            : new HealthCheck("daemon", CheckStatus.Failed, $"Incus {server.ServerVersion} lacks {string.Join(", ", missing)}", "Upgrade Incus to 6.0 or newer"));

        // Everything below is read within the project: a missing one would fail each read with the same message.
        var project = await Incus.Transport.SendAsync(HttpMethod.Get, "/1.0/projects/" + Uri.EscapeDataString(Project), null, cancellationToken).ConfigureAwait(false);
        if (project.IsError)
        {
            checks.Add(new HealthCheck("project", CheckStatus.Failed, $"'{Project}': {project.Error}",
                $"Use an existing project (incus project list), or create it: incus project create {Project} -c features.images=false -c features.profiles=false"));
            return;
        }

        checks.Add(await CheckStorageAsync(cancellationToken).ConfigureAwait(false));
        checks.AddRange(await CheckProfileAsync(cancellationToken).ConfigureAwait(false));
        checks.Add(await CheckDefaultImageAsync(cancellationToken).ConfigureAwait(false));
        checks.Add(server.SupportsIdmappedMounts
            ? new HealthCheck("idmapped mounts", CheckStatus.Ok, "the kernel supports them (overlay and shifted host-folder mounts work)")
            : new HealthCheck("idmapped mounts", CheckStatus.Warning, "the kernel lacks them", "Overlay mounts of host folders need a kernel with idmapped mounts (5.12+, with the filesystem's support)"));
        checks.Add(server.SupportsVirtualMachines
            ? new HealthCheck("virtual machines", CheckStatus.Ok, $"drivers: {server.Driver}")
            : new HealthCheck("virtual machines", CheckStatus.Warning, $"drivers: {server.Driver} (no qemu)", "VMs need KVM (/dev/kvm) and the incus package with QEMU; containers work without"));
    }

    private async Task<HealthCheck> CheckStorageAsync(CancellationToken cancellationToken)
    {
        var pools = await Incus.RequestAsync(HttpMethod.Get, Incus.Scoped("/1.0/storage-pools?recursion=1"), null, Incus.Context("Listing storage pools"), cancellationToken).ConfigureAwait(false);
        var drivers = pools.Metadata.EnumerateArray()
            .Select(p => $"{p.GetProperty("name").GetString()} ({p.GetProperty("driver").GetString()})").ToList();
        if (drivers.Count == 0)
            return new HealthCheck("storage pool", CheckStatus.Failed, "none", $"Create one: incus storage create default btrfs; on a fresh server, {SetupSteps.Initialise}");
        return drivers.All(d => d.EndsWith("(dir)", StringComparison.Ordinal))
            ? new HealthCheck("storage pool", CheckStatus.Warning, string.Join(", ", drivers), "The dir driver copies the whole image for every sandbox; a btrfs or zfs pool launches in well under a second")
            : new HealthCheck("storage pool", CheckStatus.Ok, string.Join(", ", drivers));
    }

    private async Task<IEnumerable<HealthCheck>> CheckProfileAsync(CancellationToken cancellationToken)
    {
        var profile = await Incus.Profiles.GetAsync("default", cancellationToken).ConfigureAwait(false);
        var devices = profile.Devices.Values.ToList();
        var root = devices.FirstOrDefault(d => d.GetValueOrDefault("type") == "disk" && d.GetValueOrDefault("path") == "/");
        var nic = devices.FirstOrDefault(d => d.GetValueOrDefault("type") == "nic");
        var checks = new List<HealthCheck>
        {
            await CheckProfileIsolationAsync(cancellationToken).ConfigureAwait(false),
            root is null
                ? new HealthCheck("root disk", CheckStatus.Failed, "the default profile has none", $"incus profile device add default root disk path=/ pool=default; on a fresh server, {SetupSteps.Initialise}")
                : new HealthCheck("root disk", CheckStatus.Ok, $"default profile, pool '{root.GetValueOrDefault("pool")}'"),
        };
        if (nic is null)
        {
            checks.Add(new HealthCheck("network", CheckStatus.Warning, "the default profile has no NIC: sandboxes get no address",
                $"incus profile device add default eth0 nic network=incusbr0 name=eth0; on a fresh server, {SetupSteps.Initialise}"));
            return checks;
        }
        var network = nic.GetValueOrDefault("network") ?? nic.GetValueOrDefault("parent") ?? "?";
        var answer = await Incus.Transport.SendAsync(HttpMethod.Get, Incus.Scoped("/1.0/networks/" + Uri.EscapeDataString(network)), null, cancellationToken).ConfigureAwait(false);
        checks.Add(answer.IsError
            ? new HealthCheck("network", CheckStatus.Failed, $"the default profile's NIC uses '{network}', which does not exist", $"incus network create incusbr0; on a fresh server, {SetupSteps.Initialise}")
            : new HealthCheck("network", CheckStatus.Ok, $"{network} ({(answer.Metadata.TryGetProperty("config", out var c) && c.TryGetProperty("ipv4.address", out var a) ? a.GetString() : "managed elsewhere")})"));
        return checks;
    }

    // The default profile is what every sandbox gets: an unsafe one fails the check. Another profile only warns,
    // as it matters only to sandboxes created with it.
    private async Task<HealthCheck> CheckProfileIsolationAsync(CancellationToken cancellationToken)
    {
        var unsafeProfiles = (await Incus.Profiles.ListAsync(cancellationToken).ConfigureAwait(false))
            .Select(p => (p.Name, Findings: ProfileSafety.Check([p])))
            .Where(p => p.Findings.Count > 0)
            .OrderBy(p => p.Name != "default").ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        if (unsafeProfiles.Count == 0)
            return new HealthCheck("profile isolation", CheckStatus.Ok, "no profile makes sandboxes privileged or sets security.nesting or raw.* keys");
        var found = string.Join("; ", unsafeProfiles.Select(p => $"profile '{p.Name}' sets {string.Join(", ", p.Findings.Select(f => f.Key))}"));
        var fix = string.Join("; ", unsafeProfiles.SelectMany(p => p.Findings.Select(f => $"incus profile unset {p.Name} {f.Key}")));
        return new HealthCheck("profile isolation", unsafeProfiles[0].Name == "default" ? CheckStatus.Failed : CheckStatus.Warning,
            $"{found}: sandboxes created with it would not be isolated from the host, so creation refuses them",
            $"{fix} (or opt in per sandbox: SandboxOptions.AllowUnsafeProfiles, --allow-unsafe-profiles)");
    }

    private async Task<HealthCheck> CheckDefaultImageAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ResolveImageAsync(Images.ImageReference.Parse(DefaultImage), SandboxType.Container, cancellationToken).ConfigureAwait(false);
            return new HealthCheck("default image", CheckStatus.Ok, DefaultImage);
        }
        catch (IncusTestKitException e) when (e is ImageNotFoundException or UnsupportedInstanceTypeException)
        {
            return new HealthCheck("default image", CheckStatus.Failed, $"{DefaultImage}: not found", $"Name an image you have (incus image list) with ISB_IMAGE, or {SetupSteps.GetImage(DefaultImage)}");
        }
    }
}
