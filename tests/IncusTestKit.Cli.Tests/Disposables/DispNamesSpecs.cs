using IncusTestKit.Cli.Disposables;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Disposables;

public sealed class DispNamesSpecs
{
    private static readonly DateTime Moment = new(2025, 3, 7, 9, 5, 2, DateTimeKind.Local);

    [Fact]
    public void The_first_name_is_the_date_and_time() => DispNames.For(Moment, 1).ShouldBe("disp-20250307-090502");

    [Fact]
    public void Later_attempts_in_the_same_second_get_a_number() =>
        Enumerable.Range(1, DispNames.Attempts).Select(a => DispNames.For(Moment, a)).Distinct().Count().ShouldBe(DispNames.Attempts);

    [Fact]
    public void Every_name_is_a_valid_instance_name() =>
        DispNames.For(Moment, DispNames.Attempts).ShouldMatch("^[a-z0-9-]{1,63}$");
}
