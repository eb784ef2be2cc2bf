using System.Diagnostics;
using System.Globalization;

namespace IncusTestKit.Benchmarks;

/// <summary>Timings of one contender: median and 95th percentile over the runs.</summary>
internal sealed record Measurement(string Name, IReadOnlyList<double> Milliseconds)
{
    public double Median => Percentile(0.5);

    public double P95 => Percentile(0.95);

    private double Percentile(double p)
    {
        var sorted = Milliseconds.Order().ToArray();
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }

    public static async Task<Measurement> TimeAsync(string name, int runs, Func<int, Task> action)
    {
        var times = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await action(i);
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
        }
        return new Measurement(name, times);
    }

    /// <summary>Prints a markdown table: each contender's median and p95, and its median against the baseline's (named <paramref name="versus"/>).</summary>
    public static void Print(string title, string versus, Measurement baseline, params Measurement[] others)
    {
        Console.WriteLine($"## {title}");
        Console.WriteLine();
        Console.WriteLine($"| contender | median ms | p95 ms | median vs {versus} |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var m in others.Prepend(baseline))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {m.Name} | {m.Median:0.0} | {m.P95:0.0} | {m.Median / baseline.Median:0.00}x |"));
        Console.WriteLine();
    }
}
