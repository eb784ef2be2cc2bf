using IncusTestKit.Sandboxes;
using Shouldly;

namespace IncusTestKit.Tests.Sandboxes;

public sealed class ListFilterSpecs
{
    [Fact]
    public void No_criteria_means_no_filter() => ListFilter.Build(null, null, null).ShouldBeNull();

    [Fact]
    public void Criteria_are_joined_with_and() =>
        ListFilter.Build(SandboxType.VirtualMachine, SandboxState.Running, "web")
            .ShouldBe("type eq virtual-machine and status eq Running and name eq ^web");

    [Fact]
    public void A_prefix_is_escaped_as_a_regular_expression_never_quoted() =>
        ListFilter.Build(null, null, "a.b+c").ShouldBe(@"name eq ^a\.b\+c");
}
