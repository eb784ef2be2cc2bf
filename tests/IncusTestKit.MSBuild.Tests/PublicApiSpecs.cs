using System.Reflection;
using IncusTestKit.Tests.Infrastructure;

namespace IncusTestKit.MSBuild.Tests;

public sealed class PublicApiSpecs
{
    [Fact]
    public void The_public_API_of_IncusTestKit_MSBuild_is_the_approved_one() =>
        PublicApiApproval.ShouldMatchApproved(Assembly.Load("IncusTestKit.MSBuild"));
}
