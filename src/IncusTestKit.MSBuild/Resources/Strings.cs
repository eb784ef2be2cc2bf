using System.Resources;

namespace IncusTestKit.MSBuild.Resources;

/// <summary>The tasks' messages. Each starts with its code (<c>ISB1001: ...</c>), which MSBuild's logger splits off.</summary>
internal static class Strings
{
    public static ResourceManager Manager { get; } = new("IncusTestKit.MSBuild.Resources.Strings", typeof(Strings).Assembly);
}
