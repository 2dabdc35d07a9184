namespace MedLedger.Network.Tests;

public sealed class ProjectTests
{
    [Fact]
    public void Project_Builds() => Assert.Equal("MedLedger.Network.Tests", typeof(ProjectTests).Assembly.GetName().Name);
}
