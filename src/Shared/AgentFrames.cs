using System.Buffers.Binary;
using System.Text;

namespace IncusTestKit.AgentProtocol;

/// <summary>
/// The exec agent's wire format, compiled into both ends (the agent and the SDK). Every frame is a 9-byte header, then
/// its payload: kind (1 byte), command id (4 bytes, little-endian), payload length (4 bytes, little-endian). Many
/// commands share one stream; the id says whose frame it is (0: the channel itself).
/// </summary>
internal static class AgentFrames
{
    /// <summary>The header's size in bytes.</summary>
    public const int HeaderSize = 9;

    /// <summary>
    /// The largest payload either side accepts. Output is sent in pieces of at most <see cref="ChunkSize"/>, a start
    /// carries a command line and an environment; anything longer is garbage and ends the channel.
    /// </summary>
    public const int MaxPayload = 4 * 1024 * 1024;

    /// <summary>The most output or stdin bytes in one frame.</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>
    /// The most stdin bytes of one command the client may have sent and the agent not yet acknowledged
    /// (<see cref="StdinAck"/>): a command that does not read its stdin holds no more than this of it in the agent.
    /// </summary>
    public const int StdinWindow = 1024 * 1024;

    /// <summary>
    /// The most output bytes (stdout and stderr together) of one command the agent may have sent and the client not yet
    /// acknowledged (<see cref="OutputAck"/>): past it the agent stops reading the command's pipes, so a caller slow to
    /// take one command's output slows that command only.
    /// </summary>
    public const int OutputWindow = 1024 * 1024;

    /// <summary>What the agent says first, so the client knows it is this agent, of this protocol version.</summary>
    public static ReadOnlySpan<byte> Magic => "ISBAGENT2"u8;

    // Client to agent.
    /// <summary>Start a command: <see cref="StartRequest"/>.</summary>
    public const byte Start = 1;
    /// <summary>Bytes for the command's stdin.</summary>
    public const byte Stdin = 2;
    /// <summary>End of the command's stdin.</summary>
    public const byte StdinEnd = 3;
    /// <summary>Send a signal (4-byte number) to the command's process.</summary>
    public const byte Signal = 4;
    /// <summary>Asks the agent to answer with <see cref="Pong"/> (id 0): shows it still reads and writes.</summary>
    public const byte Ping = 5;
    /// <summary>The client took this many (4 bytes) more of the command's output: gives them back to its <see cref="OutputWindow"/>.</summary>
    public const byte OutputAck = 6;

    // Agent to client.
    /// <summary>The agent is ready: <see cref="Magic"/> (id 0).</summary>
    public const byte Hello = 0x81;
    /// <summary>The command started: its pid (4 bytes).</summary>
    public const byte Started = 0x82;
    /// <summary>The command could not start: a <see cref="StartError"/> (4 bytes); nothing else comes for this id.</summary>
    public const byte StartFailed = 0x83;
    /// <summary>A piece of the command's stdout.</summary>
    public const byte Stdout = 0x84;
    /// <summary>A piece of the command's stderr.</summary>
    public const byte Stderr = 0x85;
    /// <summary>The command exited and both output streams ended: its exit code (4 bytes; 128+N for a signal N). The last frame of the id.</summary>
    public const byte Exit = 0x86;

    /// <summary>The answer to <see cref="Ping"/> (id 0).</summary>
    public const byte Pong = 0x87;

    /// <summary>
    /// The agent wrote this many (4 bytes) more of the command's stdin into its pipe, or dropped them because the command
    /// closed its stdin: gives them back to its <see cref="StdinWindow"/>. Always before the command's <see cref="Exit"/>.
    /// </summary>
    public const byte StdinAck = 0x88;

    /// <summary>Writes a frame header.</summary>
    public static void WriteHeader(Span<byte> into, byte kind, uint id, int length)
    {
        into[0] = kind;
        BinaryPrimitives.WriteUInt32LittleEndian(into[1..], id);
        BinaryPrimitives.WriteInt32LittleEndian(into[5..], length);
    }

    /// <summary>Reads a frame header; false when its length is out of bounds (the stream is garbage).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, out byte kind, out uint id, out int length)
    {
        kind = header[0];
        id = BinaryPrimitives.ReadUInt32LittleEndian(header[1..]);
        length = BinaryPrimitives.ReadInt32LittleEndian(header[5..]);
        return length is >= 0 and <= MaxPayload;
    }
}

/// <summary>Why the agent could not start a command.</summary>
internal enum StartError
{
    /// <summary>The request was malformed.</summary>
    BadRequest = 1,
    /// <summary>The uid has no entry in the sandbox's /etc/passwd (the agent switches users by name).</summary>
    UnknownUser = 2,
    /// <summary>The system refused to start the process.</summary>
    CannotStart = 3,
    /// <summary>The id is already in use.</summary>
    DuplicateId = 4,
    /// <summary>The working directory does not exist.</summary>
    NoDirectory = 5,
    /// <summary>A contained command's program is not there (not on PATH, or no such file).</summary>
    NotFound = 6,
    /// <summary>A contained command's program is there but may not be executed (permission denied).</summary>
    NotExecutable = 7,
    /// <summary>The command's cgroup could not be made or joined; nothing ran.</summary>
    CannotContain = 8,
}

/// <summary>What a <see cref="AgentFrames.Start"/> frame carries. Strings are a 4-byte length and UTF-8.</summary>
/// <param name="Uid">The uid to run as.</param>
/// <param name="Gid">The gid to run as.</param>
/// <param name="WorkingDirectory">Where to run (absolute).</param>
/// <param name="Group">The command's cgroup (<c>ROOT/isb/exec-ID</c>): the agent makes it, starts the program in it and
/// removes it once empty; the program is then found on PATH by the agent. Empty: run argv as given, uncontained.</param>
/// <param name="Argv">The program and its arguments.</param>
/// <param name="Environment">Variables set over the agent's own.</param>
internal sealed record StartRequest(uint Uid, uint Gid, string WorkingDirectory, string Group, IReadOnlyList<string> Argv, IReadOnlyList<KeyValuePair<string, string>> Environment)
{
    /// <summary>The payload: uid, gid, working directory, group, argv count and strings, environment count and name/value strings.</summary>
    public byte[] Encode()
    {
        var buffer = new MemoryStream();
        Int(buffer, Uid);
        Int(buffer, Gid);
        Text(buffer, WorkingDirectory);
        Text(buffer, Group);
        Int(buffer, (uint)Argv.Count);
        foreach (var arg in Argv)
            Text(buffer, arg);
        Int(buffer, (uint)Environment.Count);
        foreach (var (name, value) in Environment)
        {
            Text(buffer, name);
            Text(buffer, value);
        }
        return buffer.ToArray();
    }

    private static void Int(MemoryStream buffer, uint value)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(four, value);
        buffer.Write(four);
    }

    private static void Text(MemoryStream buffer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Int(buffer, (uint)bytes.Length);
        buffer.Write(bytes);
    }

    /// <summary>Reads a payload; null when it is malformed.</summary>
    public static StartRequest? Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new Reader(payload);
        var uid = reader.Int();
        var gid = reader.Int();
        var cwd = reader.Text();
        var group = reader.Text();
        var argc = reader.Int();
        var argv = new List<string>();
        for (var i = 0u; reader.Ok && i < argc; i++)
            argv.Add(reader.Text());
        var envc = reader.Int();
        var env = new List<KeyValuePair<string, string>>();
        for (var i = 0u; reader.Ok && i < envc; i++)
            env.Add(new(reader.Text(), reader.Text()));
        return reader.Ok && reader.AtEnd && argv.Count > 0 ? new StartRequest(uid, gid, cwd, group, argv, env) : null;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public bool Ok { get; private set; } = true;

        public readonly bool AtEnd => _at == _data.Length;

        public uint Int()
        {
            if (!Ok || _data.Length - _at < 4)
            {
                Ok = false;
                return 0;
            }
            var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_at..]);
            _at += 4;
            return value;
        }

        public string Text()
        {
            var length = Int();
            if (!Ok || length > (uint)(_data.Length - _at))
            {
                Ok = false;
                return "";
            }
            var value = Encoding.UTF8.GetString(_data.Slice(_at, (int)length));
            _at += (int)length;
            return value;
        }
    }
}
