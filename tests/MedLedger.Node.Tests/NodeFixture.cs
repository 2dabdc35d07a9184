namespace MedLedger.Node.Tests;

/// <summary>
/// One node shared by the tests of a class. xunit runs a class's tests one after another, so each test may take a
/// snapshot of the node's status and expect it unchanged after a refused request.
/// </summary>
public sealed class NodeFixture : IAsyncLifetime
{
    private TestNode? _node;

    internal TestNode Node => _node ?? throw new InvalidOperationException("The fixture is not initialised.");

    public async Task InitializeAsync() => _node = await TestNode.StartAsync();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}
