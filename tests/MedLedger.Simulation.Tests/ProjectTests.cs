namespace MedLedger.Simulation.Tests;

public sealed class ProjectTests
{
    [Fact]
    public void Project_Builds() => Assert.Equal("MedLedger.Simulation.Tests", typeof(ProjectTests).Assembly.GetName().Name);
}
