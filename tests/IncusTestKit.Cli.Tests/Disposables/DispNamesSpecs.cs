using IncusTestKit.Cli.Disposables;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Disposables;

public sealed class DispNamesSpecs
{
    private static readonly DateTime Moment = new(2025, 3, 7, 9, 5, 2, DateTimeKind.Local);

    [Fact]
    public void A_name_is_the_date_and_time_and_a_random_suffix() => DispNames.For(Moment).ShouldMatch("^disp-20250307-090502-[a-z0-9]{4}$");

    [Fact]
    public void Names_drawn_in_the_same_second_differ() =>
        Enumerable.Range(0, 100).Select(_ => DispNames.For(Moment)).Distinct().Count().ShouldBeGreaterThan(95);

    [Fact]
    public void Every_name_is_a_valid_instance_name() =>
        DispNames.For(Moment).ShouldMatch("^[a-z0-9-]{1,63}$");
}
