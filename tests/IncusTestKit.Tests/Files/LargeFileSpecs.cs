using System.Security.Cryptography;
using IncusTestKit.Tests.Infrastructure;
using Shouldly;

namespace IncusTestKit.Tests.Files;

[Collection(AllocationMeasurement.Name)]
public sealed class LargeFileSpecs(BusyboxSandbox shared) : IClassFixture<BusyboxSandbox>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Large_files_are_streamed_both_ways_without_being_held_in_memory()
    {
        var sandbox = await shared.GetAsync();
        using var host = new HostFolder();
        const long size = 128L * 1024 * 1024;
        var expected = await WriteRandomFileAsync(host["big.bin"], size);
        var remote = $"/tmp/large-{Guid.NewGuid():N}.bin";

        var allocated = GC.GetTotalAllocatedBytes();
        await sandbox.Files.PushAsync(host["big.bin"], remote, Ct);
        await sandbox.Files.PullAsync(remote, host["back.bin"], cancellationToken: Ct);
        var used = GC.GetTotalAllocatedBytes() - allocated;

        (await sandbox.RunCommandAsync(["sha256sum", remote], cancellationToken: Ct)).Stdout.Split(' ')[0].ShouldBe(expected);
        await using (var pulled = File.OpenRead(host["back.bin"]))
            Convert.ToHexStringLower(await SHA256.HashDataAsync(pulled, Ct)).ShouldBe(expected);
        // Both ways together moved 256 MiB; holding either copy in memory would allocate at least 128 MiB.
        used.ShouldBeLessThan(size / 2);
        await sandbox.Files.DeleteAsync(remote, cancellationToken: Ct);
    }

    private static async Task<string> WriteRandomFileAsync(string path, long size)
    {
        using var sha = SHA256.Create();
        await using var file = File.Create(path);
        var chunk = new byte[1024 * 1024];
        for (var written = 0L; written < size; written += chunk.Length)
        {
            RandomNumberGenerator.Fill(chunk);
            sha.TransformBlock(chunk, 0, chunk.Length, null, 0);
            await file.WriteAsync(chunk, Ct);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexStringLower(sha.Hash!);
    }
}
