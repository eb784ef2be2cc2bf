namespace IncusTestKit.Diagnostics;

/// <summary>
/// How to set up a machine for sandboxes, in the words every hint and doctor fix uses: the steps of someone who
/// installed the tool or the package, with only Incus's own commands (nothing from this repository's scripts).
/// </summary>
internal static class SetupSteps
{
    /// <summary>Installing and starting the daemon.</summary>
    public const string InstallAndStart =
        "install Incus (https://linuxcontainers.org/incus/docs/main/installing/) and start it: sudo systemctl enable --now incus";

    /// <summary>A fresh daemon's storage pool, bridge network and default profile, in one step.</summary>
    public const string Initialise = "sudo incus admin init --minimal (creates the storage pool, the incusbr0 network and the default profile's disk and NIC)";

    /// <summary>Access to the socket without root.</summary>
    public const string JoinGroup = "sudo usermod -aG incus-admin $USER, then log in again";

    /// <summary>Restarting a daemon that is stuck or stopped.</summary>
    public const string Restart = "sudo systemctl restart incus";

    /// <summary>All of it, for a machine where Incus is missing.</summary>
    public const string FromScratch = $"{InstallAndStart}; then {Initialise}; then {JoinGroup}";

    /// <summary>Getting an image under the local alias <paramref name="alias"/> (any image of the public server will do).</summary>
    public static string GetImage(string alias) =>
        $"copy one from the public image server under that name: incus image copy images:debian/12 local: --alias {alias} (or pick another: incus image list images:)";
}
