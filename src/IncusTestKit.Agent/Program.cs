using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using IncusTestKit.AgentProtocol;
using Microsoft.Win32.SafeHandles;

namespace IncusTestKit.Agent;

/// <summary>
/// The exec agent. It reads frames (<see cref="AgentFrames"/>) on stdin and answers on stdout, running each command it
/// is asked for as a child with pipes for its three streams. It holds no state beyond its running commands: when its
/// stdin ends (the client is gone) it kills their processes and exits; anything malformed ends it too, so the client
/// sees the channel close rather than a guess.
/// </summary>
internal static partial class Program
{
    private static readonly FileStream Output = new(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
    private static readonly SemaphoreSlim WriteLock = new(1, 1);
    private static readonly ConcurrentDictionary<uint, Command> Commands = new();

    private static async Task<int> Main()
    {
        // The binary was pushed in for this run only: the running process keeps it, nothing is left behind.
        try
        {
            File.Delete(Environment.ProcessPath!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        using var input = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 64 * 1024);
        await SendAsync(AgentFrames.Hello, 0, AgentFrames.Magic.ToArray()).ConfigureAwait(false);
        var header = new byte[AgentFrames.HeaderSize];
        try
        {
            while (await ReadExactlyAsync(input, header).ConfigureAwait(false)
                && AgentFrames.TryReadHeader(header, out var kind, out var id, out var length))
            {
                var payload = new byte[length];
                if (!await ReadExactlyAsync(input, payload).ConfigureAwait(false) || !Handle(kind, id, payload))
                    break;
            }
        }
        finally
        {
            // The client is gone (or spoke garbage): nothing it started may outlive the channel.
            foreach (var command in Commands.Values)
                command.Signal(9);
        }
        return 0;
    }

    private static bool Handle(byte kind, uint id, byte[] payload)
    {
        switch (kind)
        {
            case AgentFrames.Start:
                Start(id, payload);
                return true;
            case AgentFrames.Stdin:
                // Stdin for a command that has just ended is dropped; it may still be on its way.
                return !Commands.TryGetValue(id, out var target) || target.OnStdin(payload);
            case AgentFrames.OutputAck when payload.Length == 4:
                return !Commands.TryGetValue(id, out var acked) || acked.OnOutputAck(BitConverter.ToInt32(payload));
            case AgentFrames.StdinEnd:
                if (Commands.TryGetValue(id, out var ended))
                    ended.Stdin.Writer.TryComplete();
                return true;
            case AgentFrames.Ping:
                _ = SendAsync(AgentFrames.Pong, 0, ReadOnlyMemory<byte>.Empty);
                return true;
            case AgentFrames.Signal when payload.Length == 4:
                if (Commands.TryGetValue(id, out var signalled))
                    signalled.Signal(BitConverter.ToInt32(payload));
                return true;
            default:
                return false;
        }
    }

    private static void Start(uint id, byte[] payload)
    {
        var request = StartRequest.Decode(payload);
        if (request is null)
        {
            Fail(id, StartError.BadRequest);
            return;
        }
        // Checked here rather than by a files request of the client's: one round trip less for a command with a directory.
        if (!Directory.Exists(request.WorkingDirectory))
        {
            Fail(id, StartError.NoDirectory);
            return;
        }
        var contained = request.Group.Length > 0;
        var program = request.Argv[0];
        if (contained)
        {
            if (!CommandGroups.IsCommandGroup(request.Group))
            {
                Fail(id, StartError.BadRequest);
                return;
            }
            // Resolved here as a shell would, with the command's PATH and directory: the runtime would look beside the
            // agent and in the agent's own directory first. The command sees the full path as its argv[0].
            if (ProgramPath.Resolve(program, request.WorkingDirectory, PathOf(request.Environment)) is not { } resolved)
            {
                Fail(id, StartError.NotFound);
                return;
            }
            program = resolved;
        }
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = request.WorkingDirectory,
        };
        foreach (var arg in request.Argv.Skip(1))
            info.ArgumentList.Add(arg);
        foreach (var (name, value) in request.Environment)
            info.Environment[name] = value;
        if (request.Uid != 0 || request.Gid != 0)
        {
            // .NET switches users by name, taking the gid and groups from the user database; a uid without an entry, or
            // with another primary gid, is refused and the client runs the command through the daemon instead.
            var user = UserNameOf(request.Uid, request.Gid);
            if (user is null)
            {
                Fail(id, StartError.UnknownUser);
                return;
            }
            info.UserName = user;
        }
        var command = new Command(id);
        if (!Commands.TryAdd(id, command))
        {
            Fail(id, StartError.DuplicateId);
            return;
        }
        try
        {
            command.Process = contained ? StartContained(request.Group, info) : Process.Start(info)!;
            command.Group = contained ? request.Group : null;
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException or CannotContainException)
        {
            Commands.TryRemove(id, out _);
            Fail(id, e switch
            {
                CannotContainException => StartError.CannotContain,
                Win32Exception { NativeErrorCode: EACCES } => StartError.NotExecutable,
                _ => StartError.CannotStart,
            });
            return;
        }
        _ = command.RunAsync();
    }

    private const int EACCES = 13;
    private const int ENOEXEC = 8;

    // A file without a known executable format is a shell script, as execvp and shells have it.
    private static Process StartContained(string group, ProcessStartInfo info)
    {
        try
        {
            return CommandGroups.Start(group, info);
        }
        catch (Win32Exception e) when (e.NativeErrorCode == ENOEXEC)
        {
            info.ArgumentList.Insert(0, info.FileName);
            info.FileName = "/bin/sh";
            return CommandGroups.Start(group, info);
        }
    }

    private static string? PathOf(IReadOnlyList<KeyValuePair<string, string>> environment) =>
        environment.LastOrDefault(v => v.Key == "PATH").Value ?? Environment.GetEnvironmentVariable("PATH");

    /// <summary>Ends the agent and every command it runs: the client sees its channel break and says so.</summary>
    internal static void Abort()
    {
        foreach (var command in Commands.Values)
            command.Signal(9);
        Environment.Exit(1);
    }

    private static void Fail(uint id, StartError error) => _ = SendAsync(AgentFrames.StartFailed, id, BitConverter.GetBytes((int)error));

    private static string? UserNameOf(uint uid, uint gid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/etc/passwd");
        }
        catch (IOException)
        {
            return null;
        }
        foreach (var line in lines)
        {
            var fields = line.Split(':');
            if (fields.Length >= 4 && fields[2] == uid.ToString(CultureInfo.InvariantCulture))
                return fields[3] == gid.ToString(CultureInfo.InvariantCulture) ? fields[0] : null;
        }
        return null;
    }

    /// <summary>Sends one frame; a stdout that is gone ends the agent (the client is gone, so is the point of running).</summary>
    internal static async Task SendAsync(byte kind, uint id, ReadOnlyMemory<byte> payload)
    {
        var frame = new byte[AgentFrames.HeaderSize + payload.Length];
        AgentFrames.WriteHeader(frame, kind, id, payload.Length);
        payload.CopyTo(frame.AsMemory(AgentFrames.HeaderSize));
        await WriteLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await Output.WriteAsync(frame).ConfigureAwait(false);
        }
        catch (IOException)
        {
            Abort();
        }
        finally
        {
            WriteLock.Release();
        }
    }

    private static async Task<bool> ReadExactlyAsync(Stream input, byte[] into)
    {
        try
        {
            await input.ReadExactlyAsync(into).ConfigureAwait(false);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    internal static partial int Kill(int pid, int signal);

    private sealed class Command(uint id)
    {
        public Process? Process { get; set; }

        /// <summary>The cgroup the command was started in, removed once it ends; null when the client contains it.</summary>
        public string? Group { get; set; }

        // Stdin is written by a task of its own, so a command that does not read its input holds up no other command.
        // What waits here is bounded by the stdin window: the client sends no more until the feed acknowledges it.
        public Channel<byte[]> Stdin { get; } = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });

        private readonly FlowWindow _stdinHeld = new(AgentFrames.StdinWindow);
        private readonly FlowWindow _output = new(AgentFrames.OutputWindow);

        /// <summary>Takes a piece of stdin; false when the client sent past its window (it does not speak this protocol).</summary>
        public bool OnStdin(byte[] payload)
        {
            if (payload.Length == 0)
                return true;
            if (!_stdinHeld.TryTake(payload.Length))
                return false;
            // Refused once the command has ended: its exit is about to tell the client, which then stops counting.
            if (!Stdin.Writer.TryWrite(payload))
                _stdinHeld.Release(payload.Length);
            return true;
        }

        /// <summary>The client took output: false when it gives back more than it was sent.</summary>
        public bool OnOutputAck(int count) => _output.Release(count);

        public void Signal(int signal)
        {
            if (Process is { } process && !process.HasExited)
                _ = Kill(process.Id, signal);
        }

        public async Task RunAsync()
        {
            var process = Process!;
            await SendAsync(AgentFrames.Started, id, BitConverter.GetBytes(process.Id)).ConfigureAwait(false);
            var feed = FeedAsync(process.StandardInput.BaseStream);
            await Task.WhenAll(
                PumpAsync(process.StandardOutput.BaseStream, AgentFrames.Stdout),
                PumpAsync(process.StandardError.BaseStream, AgentFrames.Stderr),
                process.WaitForExitAsync()).ConfigureAwait(false);
            Stdin.Writer.TryComplete();
            await feed.ConfigureAwait(false);
            Commands.TryRemove(id, out _);
            await SendAsync(AgentFrames.Exit, id, BitConverter.GetBytes(process.ExitCode)).ConfigureAwait(false);
            process.Dispose();
            if (Group is { } group)
                CommandGroups.Remove(group);
        }

        // Reads no more than the client has room for: a client slow to take this command's output leaves its pipes
        // unread, so the command waits as it would on any slow reader, and no other command does.
        private async Task PumpAsync(Stream stream, byte kind)
        {
            var buffer = new byte[AgentFrames.ChunkSize];
            while (true)
            {
                var room = await _output.TakeAsync(buffer.Length, CancellationToken.None).ConfigureAwait(false);
                var read = await stream.ReadAsync(buffer.AsMemory(0, room)).ConfigureAwait(false);
                if (read < room)
                    _output.Release(room - read);
                if (read == 0)
                    return;
                await SendAsync(kind, id, buffer.AsMemory(0, read)).ConfigureAwait(false);
            }
        }

        // Every piece is acknowledged once it is in the pipe, so the client sends more only as the command reads.
        private async Task FeedAsync(Stream stdin)
        {
            var open = true;
            await foreach (var piece in Stdin.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (open)
                {
                    try
                    {
                        await stdin.WriteAsync(piece).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        // The command closed its stdin or exited: what it did not read no longer matters, and is
                        // acknowledged all the same so the client's writes do not wait for a reader that is gone.
                        open = false;
                        Close(stdin);
                    }
                }
                _stdinHeld.Release(piece.Length);
                await SendAsync(AgentFrames.StdinAck, id, BitConverter.GetBytes(piece.Length)).ConfigureAwait(false);
            }
            if (open)
                Close(stdin);
        }

        private static void Close(Stream stdin)
        {
            try
            {
                stdin.Dispose();
            }
            catch (IOException)
            {
            }
        }
    }
}
