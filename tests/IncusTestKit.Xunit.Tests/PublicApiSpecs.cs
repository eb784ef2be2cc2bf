using System.Reflection;
using IncusTestKit.Tests.Infrastructure;

namespace IncusTestKit.Xunit.Tests;

public sealed class PublicApiSpecs
{
    [Fact]
    public void The_public_API_of_IncusTestKit_Xunit_is_the_approved_one() =>
        PublicApiApproval.ShouldMatchApproved(Assembly.Load("IncusTestKit.Xunit"));
}
