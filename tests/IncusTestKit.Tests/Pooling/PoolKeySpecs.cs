using IncusTestKit.Mounts;
using IncusTestKit.Pooling;
using IncusTestKit.Sandboxes;
using Shouldly;

namespace IncusTestKit.Tests.Pooling;

/// <summary>The pool key: equal for interchangeable configurations, different as soon as anything a sandbox is made from differs.</summary>
public sealed class PoolKeySpecs
{
    private static readonly SandboxOptions Base = new() { Image = "isb/busybox", Labels = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } };

    private static string KeyOf(SandboxOptions options, string project = "default") => PoolKey.Of(options, project, "isb/debian12", SandboxType.Container);

    [Fact]
    public void Equal_configurations_have_equal_keys_whatever_the_label_order_or_timeout()
    {
        var reordered = Base with { Labels = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" }, Timeout = TimeSpan.FromSeconds(5) };
        KeyOf(reordered).ShouldBe(KeyOf(Base));
        KeyOf(new SandboxOptions { Image = "isb/debian12" }).ShouldBe(KeyOf(new SandboxOptions()));
    }

    [Fact]
    public void Anything_a_sandbox_is_made_from_changes_the_key()
    {
        string[] keys =
        [
            KeyOf(Base),
            KeyOf(Base, project: "other"),
            KeyOf(Base with { Image = "isb/debian12" }),
            KeyOf(Base with { Type = SandboxType.VirtualMachine }),
            KeyOf(Base with { Limits = Base.Limits with { Memory = "1GiB" } }),
            KeyOf(Base with { Limits = Base.Limits with { Cpu = 1 } }),
            KeyOf(Base with { Profiles = ["default", "extra"] }),
            KeyOf(Base with { Labels = new Dictionary<string, string> { ["a"] = "1" } }),
            KeyOf(Base with { Mounts = [new MountOptions("/tmp", "/src")] }),
            KeyOf(Base with { Mounts = [new MountOptions("/tmp", "/src") { Mode = MountMode.ReadOnly }] }),
            KeyOf(Base with { Network = SandboxNetwork.None }),
            KeyOf(Base with { DenySetuidFiles = true }),
            KeyOf(Base with { Ephemeral = true }),
        ];
        keys.Distinct().Count().ShouldBe(keys.Length);
    }
}
