using IncusTestKit.Cli.Interactive;
using Shouldly;

namespace IncusTestKit.Cli.Tests.Interactive;

public sealed class ConsoleEscapeSpecs
{
    [Fact]
    public void Keys_pass_through_until_Ctrl_a_q()
    {
        var escape = new ConsoleEscape();

        escape.Filter("ls\r"u8).ShouldBe("ls\r"u8.ToArray());
        escape.Filter("x\u0001q never sent"u8).ShouldBe("x"u8.ToArray());
        escape.Detached.ShouldBeTrue();
    }

    [Fact]
    public void The_detach_keys_may_arrive_in_two_reads()
    {
        var escape = new ConsoleEscape();

        escape.Filter("\u0001"u8).ShouldBeEmpty();
        escape.Detached.ShouldBeFalse();
        escape.Filter("q"u8).ShouldBeEmpty();
        escape.Detached.ShouldBeTrue();
    }

    [Fact]
    public void Ctrl_a_twice_or_Ctrl_a_a_sends_one_Ctrl_a_and_anything_else_sends_both()
    {
        var escape = new ConsoleEscape();

        escape.Filter("\u0001\u0001\u0001a\u0001x"u8).ShouldBe("\u0001\u0001\u0001x"u8.ToArray());
        escape.Detached.ShouldBeFalse();
    }
}
