namespace IncusTestKit.Tests.Infrastructure;

/// <summary>Permission bits as tests write them.</summary>
public static class Modes
{
    public const UnixFileMode File644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode File600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode File640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    public const UnixFileMode Exec755 = File644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    public const UnixFileMode Dir700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode Dir777 = Exec755 | UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
}
