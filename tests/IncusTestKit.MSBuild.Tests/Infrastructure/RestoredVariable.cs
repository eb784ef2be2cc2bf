namespace IncusTestKit.MSBuild.Tests.Infrastructure;

/// <summary>An environment variable of this process set for a while, and put back as it was on dispose.</summary>
public sealed class RestoredVariable : IDisposable
{
    private readonly string _name;
    private readonly string? _previous;

    private RestoredVariable(string name)
    {
        _name = name;
        _previous = Environment.GetEnvironmentVariable(name);
    }

    /// <summary>Sets <paramref name="name"/> to <paramref name="value"/> until disposed.</summary>
    public static RestoredVariable Set(string name, string? value)
    {
        var restored = new RestoredVariable(name);
        Environment.SetEnvironmentVariable(name, value);
        return restored;
    }

    public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
}
