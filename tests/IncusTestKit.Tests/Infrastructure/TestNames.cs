using System.Security.Cryptography;

namespace IncusTestKit.Tests.Infrastructure;

/// <summary>Names of the instances tests create: a recognisable prefix, so leftovers are easy to find and reap.</summary>
public static class TestNames
{
    public const string Prefix = "isbt-";

    public static string New(string purpose) =>
        $"{Prefix}{purpose}-{RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 6)}";
}
