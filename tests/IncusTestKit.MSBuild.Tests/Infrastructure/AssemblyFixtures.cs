using IncusTestKit.MSBuild.Tests.Infrastructure;

// One packed package and one generated repository for every spec that runs a real build: packing is the slow part.
[assembly: AssemblyFixture(typeof(GeneratedRepository))]
