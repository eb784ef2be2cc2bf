namespace IncusTestKit.Benchmarks;

/// <summary>The tool as ./build.sh leaves it: the benchmark measures what a user runs, a separate process each.</summary>
internal static class BuiltTool
{
    /// <summary>The framework-dependent tool (<c>./build.sh build</c>), run as <c>dotnet dotnet-isb.dll</c>.</summary>
    public static string Dll() => Existing(Path.Combine("src", "IncusTestKit.Cli", "bin", "Release", "net10.0", "dotnet-isb.dll"), "./build.sh build");

    /// <summary>The NativeAOT executable (<c>./build.sh native</c>).</summary>
    public static string Native() => Existing(Path.Combine("artifacts", "isb-linux-x64", "isb"), "./build.sh native");

    private static string Existing(string relative, string makeIt)
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (!File.Exists(Path.Combine(folder.FullName, "IncusTestKit.sln")))
                continue;
            var tool = Path.Combine(folder.FullName, relative);
            return File.Exists(tool) ? tool : throw new InvalidOperationException($"{tool} is missing: run {makeIt} first.");
        }
        throw new InvalidOperationException("The repository root (IncusTestKit.sln) was not found above the benchmark.");
    }
}
