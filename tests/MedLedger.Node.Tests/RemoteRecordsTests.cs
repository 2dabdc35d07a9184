using MedLedger.Node.Medical;

namespace MedLedger.Node.Tests;

/// <summary>Which on-chain organisation endpoints a home node forwards a user's signed read to.</summary>
public sealed class RemoteRecordsTests
{
    [Theory]
    [InlineData("https://records.harbor.example/", "https://records.harbor.example/")]
    [InlineData("https://records.harbor.example:8443/medledger", "https://records.harbor.example:8443/medledger")]
    [InlineData("http://127.0.0.1:7101", "http://127.0.0.1:7101/")]
    [InlineData("http://localhost:7101", "http://localhost:7101/")]
    [InlineData("http://[::1]:7101", "http://[::1]:7101/")]
    public void ForwardingAddress_AcceptsHttpsAnywhere_AndPlainHttpOnlyOnLoopback(string endpoint, string expected)
    {
        Assert.Equal(new Uri(expected), RemoteRecords.ForwardingAddress(endpoint));
    }

    [Theory]
    [InlineData("http://records.harbor.example")]
    [InlineData("http://10.0.0.7:7101")]
    [InlineData("http://127.0.0.1.harbor.example")]
    [InlineData("https://admin:secret@records.harbor.example")]
    [InlineData("ftp://127.0.0.1/records")]
    [InlineData("file:///etc/passwd")]
    [InlineData("records.harbor.example")]
    [InlineData("/api/v1/records")]
    [InlineData("")]
    [InlineData(null)]
    public void ForwardingAddress_RefusesPlainHttpOffLoopback_CredentialsAndOtherSchemes(string? endpoint)
    {
        Assert.Null(RemoteRecords.ForwardingAddress(endpoint));
    }
}
