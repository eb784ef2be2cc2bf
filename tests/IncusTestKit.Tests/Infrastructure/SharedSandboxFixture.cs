using IncusTestKit.Sandboxes;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>
/// One sandbox shared by every test of a class (<c>IClassFixture&lt;BusyboxSandbox&gt;</c>) for tests that only read
/// from it or clean up after themselves; a test that breaks its sandbox creates its own.
/// </summary>
#pragma warning disable CA1816 // xUnit owns the fixture's life; nothing derives with a finalizer
public abstract class SharedSandboxFixture(string image, string purpose) : IAsyncLifetime
{
    private Sandbox? _sandbox;
    private Exception? _failure;

    public SandboxClient Client { get; } = new();

    /// <summary>The shared sandbox; skips (or fails under ISB_REQUIRE_INCUS=1) without a daemon.</summary>
    public async Task<Sandbox> GetAsync()
    {
        await IncusDaemon.RequireAsync();
        // A start failure is rethrown to every test, so each one reports the real cause.
        return _failure is null && _sandbox is not null ? _sandbox : throw new InvalidOperationException($"The shared {image} sandbox could not be created.", _failure);
    }

    public async ValueTask InitializeAsync()
    {
        try
        {
            _sandbox = await Client.CreateAsync(Configure(new SandboxOptions { Image = image, Name = TestNames.New(purpose) }));
            await PrepareAsync(_sandbox);
        }
        catch (Exception e)
        {
            // Reported by GetAsync, per test: a skip without a daemon, else the cause.
            _failure = e;
        }
    }

    /// <summary>The options the sandbox is created with, for a fixture that needs more than the image.</summary>
    protected virtual SandboxOptions Configure(SandboxOptions options) => options;

    /// <summary>Runs once after the sandbox is created, for a fixture that needs it set up in a particular way.</summary>
    protected virtual Task PrepareAsync(Sandbox sandbox) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_sandbox is not null)
            await _sandbox.DisposeAsync();
        await Client.DisposeAsync();
    }
}

/// <summary>A shared isb/busybox sandbox.</summary>
public sealed class BusyboxSandbox() : SharedSandboxFixture(TestImages.Busybox, "bb");

/// <summary>A shared isb/busybox sandbox that started under the setuid rule, so read-write mounts can be added while it runs.</summary>
public sealed class MountableBusyboxSandbox() : SharedSandboxFixture(TestImages.Busybox, "bbrw")
{
    protected override SandboxOptions Configure(SandboxOptions options) => options with { DenySetuidFiles = true };
}

/// <summary>A shared isb/debian12 sandbox.</summary>
public sealed class DebianSandbox() : SharedSandboxFixture(TestImages.Debian, "deb");

/// <summary>A shared isb/debian12 sandbox whose commands go through the exec agent (<see cref="IncusTestKit.Exec.ExecChannel.Agent"/>).</summary>
public sealed class AgentSandbox() : SharedSandboxFixture(TestImages.Debian, "agent")
{
    protected override SandboxOptions Configure(SandboxOptions options) => options with { ExecChannel = IncusTestKit.Exec.ExecChannel.Agent };
}

/// <summary>A shared isb/busybox sandbox (no libc of its own) whose commands go through the exec agent.</summary>
public sealed class BusyboxAgentSandbox() : SharedSandboxFixture(TestImages.Busybox, "bbagent")
{
    protected override SandboxOptions Configure(SandboxOptions options) => options with { ExecChannel = IncusTestKit.Exec.ExecChannel.Agent };
}
