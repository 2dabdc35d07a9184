namespace MedLedger.Sharing.Tests;

public sealed class ProjectTests
{
    [Fact]
    public void Project_Builds() => Assert.Equal("MedLedger.Sharing.Tests", typeof(ProjectTests).Assembly.GetName().Name);
}
