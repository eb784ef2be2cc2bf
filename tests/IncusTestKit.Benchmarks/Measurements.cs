using System.Diagnostics;

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
}
