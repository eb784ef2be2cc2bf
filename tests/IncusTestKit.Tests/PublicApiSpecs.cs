using IncusTestKit.Sandboxes;
using IncusTestKit.Tests.Infrastructure;

namespace IncusTestKit.Tests;

public sealed class PublicApiSpecs
{
    [Fact]
    public void The_public_API_of_IncusTestKit_is_the_approved_one() =>
        PublicApiApproval.ShouldMatchApproved(typeof(SandboxClient).Assembly);
}
