namespace IncusTestKit.Tests.Infrastructure;

/// <summary>The images the bootstrap builds: busybox for lifecycle tests, debian12 for code runs.</summary>
public static class TestImages
{
    public const string Busybox = "isb/busybox";
    public const string Debian = "isb/debian12";
}
